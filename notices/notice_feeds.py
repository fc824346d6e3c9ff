"""Notices as feeds: Atom per municipality and per ward (Django's syndication framework), and an
iCalendar of events and planned outages (the `icalendar` package)."""

from datetime import timedelta

from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from icalendar import Calendar, Event

from notices.notice import Notice
from notices.notice_services import body_as_html, body_as_text, notice_url
from wards.models import Municipality, Ward

FEED_SIZE = 50
# Kinds whose start and end are something to put in a calendar: events and planned interruptions.
CALENDAR_KINDS = (Notice.Kind.EVENT, Notice.Kind.WATER_OUTAGE, Notice.Kind.POWER_OUTAGE, Notice.Kind.ROAD_CLOSURE,
                  Notice.Kind.REFUSE)


class MunicipalityNoticesFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, code: str, number: int | None = None):
        municipality = get_object_or_404(Municipality, code=code.upper())
        ward = get_object_or_404(Ward.objects.current(), municipality=municipality, number=number) if number else None
        return municipality, ward

    def title(self, obj):
        municipality, ward = obj
        if ward:
            return (_("Notices for ward %(number)s, %(municipality)s")
                    % {"number": ward.number, "municipality": municipality.title})
        return _("Notices from %(municipality)s") % {"municipality": municipality.title}

    def subtitle(self, obj):
        return _("Water and power interruptions, road closures, meetings and other notices.")

    def link(self, obj):
        return reverse("notices-page", args=[obj[0].code])

    def items(self, obj):
        municipality, ward = obj
        notices = Notice.objects.public().filter(municipality=municipality)
        if ward:
            notices = notices.filter(area__intersects=ward.geom)
        return notices.newest_first().select_related("municipality")[:FEED_SIZE]

    def item_title(self, item):
        return f"{item.get_kind_display()}: {item.title}"

    def item_description(self, item):
        return body_as_html(item.body)

    def item_link(self, item):
        return reverse("notice-page", args=[item.municipality.code, item.pk])

    def item_pubdate(self, item):
        return item.publish_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [str(item.get_kind_display())]


@require_safe
def events_calendar(request, code: str):
    """Public events and planned interruptions with a start time, from the last 30 days on."""
    municipality = get_object_or_404(Municipality, code=code.upper())
    calendar = Calendar()
    calendar.add("prodid", "-//Imbizo//notices//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Notices from %(municipality)s") % {"municipality": municipality.title})
    calendar.add("x-wr-timezone", municipality.timezone)
    since = timezone.now() - timedelta(days=30)
    notices = (Notice.objects.public().filter(municipality=municipality, kind__in=CALENDAR_KINDS, starts_at__isnull=False)
               .exclude(ends_at__lt=since).order_by("starts_at").select_related("municipality")[:500])
    for notice in notices:
        event = Event()
        event.add("uid", f"notice-{notice.pk}@{request.get_host()}")
        event.add("summary", f"{notice.get_kind_display()}: {notice.title}")
        event.add("dtstart", notice.starts_at)
        event.add("dtend", notice.ends_at or notice.starts_at + timedelta(hours=1))
        event.add("dtstamp", notice.updated_at)
        event.add("sequence", notice.version - 1)
        event.add("description", body_as_text(notice.body))
        event.add("url", notice_url(notice))
        if notice.state == Notice.State.CANCELLED:
            event.add("status", "CANCELLED")
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{municipality.code}-notices.ics"'
    return response
