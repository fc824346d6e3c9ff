"""Every change to a notice: write (create or edit, versioned after publishing), attach, submit,
publish (and fan out), cancel, expire. Callers authorise first (notices.notice_permissions)."""

import html
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import nh3
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notices import outbound
from notices.models import OutboundMessage
from notices.notice import MunicipalityNoticeSettings, Notice, NoticeAttachment, NoticeVersion
from notices.notice_audience import notice_enqueue
from notices.notice_targets import NoticeRefused, notice_compute_area
from toolkit import uploads
from toolkit.conf import imbizo_setting

logger = logging.getLogger(__name__)

# The formatting a body may keep: paragraphs, line breaks, emphasis, lists and links.
BODY_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a"}
ATTACHMENT_KINDS = (uploads.IMAGE, uploads.PDF)
ATTACHMENTS_PER_NOTICE = 10

EDITABLE = ("title", "body", "kind", "severity", "starts_at", "ends_at", "publish_at", "expires_at", "department",
            "target", "drawn", "radius_m", "related_issues")


def clean_body(body: str) -> str:
    """The body with only the allowed formatting (nh3, the Ammonia sanitizer); links open safely."""
    return nh3.clean(body, tags=BODY_TAGS, attributes={"a": {"href"}}, url_schemes={"http", "https", "mailto", "tel"},
                     link_rel="noopener nofollow").strip()


def body_as_html(body: str) -> str:
    """For pages: a body without block tags gets its line breaks as <br>."""
    cleaned = clean_body(body)
    if "<p>" in cleaned or "<ul>" in cleaned or "<ol>" in cleaned:
        return cleaned
    return "<p>" + cleaned.replace("\r\n", "\n").replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"


def body_as_text(body: str) -> str:
    return html.unescape(nh3.clean(body, tags=set())).strip()


def _check_times(values: dict) -> None:
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if starts and ends and ends < starts:
        raise NoticeRefused(_("The end (%(end)s) is before the start (%(start)s).") % {"end": ends, "start": starts},
                            "ends_at")
    publish, expires = values.get("publish_at"), values.get("expires_at")
    if publish and expires and expires <= publish:
        raise NoticeRefused(_("The notice would expire before it is published."), "expires_at")


def _check_related(references: list[str]) -> list[str]:
    cleaned = [str(reference).strip() for reference in references or [] if str(reference).strip()]
    if any(len(reference) > 40 for reference in cleaned):
        raise NoticeRefused(_("A related issue is named by its reference number, e.g. GT423-2026-000123."), "related_issues")
    return cleaned


@transaction.atomic
def notice_write(*, municipality, actor, notice: Notice | None = None, wards=None, suburbs=None,
                 **values) -> Notice:
    """Create a draft, or edit a notice. Editing a published notice keeps what it said before as a
    NoticeVersion and raises the version number (re-notify with `notice_fan_out`). NoticeRefused
    names the field when the input is wrong; nothing is saved then."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise NoticeRefused(_("Unknown field."), sorted(unknown)[0])
    if notice is not None and notice.state in (Notice.State.CANCELLED, Notice.State.EXPIRED):
        raise NoticeRefused(_("A cancelled or expired notice cannot be edited."), "state")
    merged = {name: getattr(notice, name) for name in EDITABLE} if notice else {}
    merged.update(values)
    _check_times(merged)
    if "body" in values:
        values["body"] = clean_body(values["body"] or "")
        if not body_as_text(values["body"]):
            raise NoticeRefused(_("Write what the notice says."), "body")
    if "title" in values and not (values["title"] or "").strip():
        raise NoticeRefused(_("Give the notice a title."), "title")
    if "related_issues" in values:
        values["related_issues"] = _check_related(values["related_issues"])
    department = merged.get("department")
    if department is not None and department.municipality_id != municipality.pk:
        raise NoticeRefused(_("The department is not of this municipality."), "department")

    if notice is None:
        notice = Notice(municipality=municipality, created_by=actor if getattr(actor, "is_authenticated", False) else None)
    elif notice.state in (Notice.State.PUBLISHED, Notice.State.SCHEDULED):
        NoticeVersion.objects.create(
            notice=notice, number=notice.version, title=notice.title, body=notice.body,
            edited_by=actor if getattr(actor, "is_authenticated", False) else None,
            snapshot={"kind": notice.kind, "severity": notice.severity, "starts_at": _iso(notice.starts_at),
                      "ends_at": _iso(notice.ends_at), "expires_at": _iso(notice.expires_at)})
        notice.version += 1
    for name, value in values.items():
        setattr(notice, name, value)
    notice.save()
    if wards is not None:
        notice.wards.set(wards)
    if suburbs is not None:
        notice.suburbs.set(suburbs)
    notice_compute_area(notice=notice)
    return notice


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def notice_attach(*, notice: Notice, upload, title: str = "") -> NoticeAttachment:
    """Check an image or PDF by its content (toolkit.uploads) and store it: images re-encoded
    without metadata with a thumbnail, PDFs with a first-page preview. NoticeRefused (`file`)."""
    try:
        detected = uploads.detect(upload, kinds=ATTACHMENT_KINDS)
        uploads.check_size(upload.size, detected.kind)
        if detected.kind == uploads.IMAGE:
            photo = uploads.process_photo(upload, detected.content_type)
            data, preview = photo.data, photo.thumbnail
        else:
            preview = uploads.pdf_preview(upload)
            upload.seek(0)
            data = upload.read()
    except uploads.UploadRefused as refused:
        raise NoticeRefused(str(refused), "file") from None
    if notice.attachments.count() >= ATTACHMENTS_PER_NOTICE:
        raise NoticeRefused(_("A notice may have at most %(limit)s files.") % {"limit": ATTACHMENTS_PER_NOTICE}, "file")
    name = (getattr(upload, "name", "") or "").rsplit("/", 1)[-1]
    attachment = NoticeAttachment(notice=notice, kind=detected.kind, content_type=detected.content_type,
                                  title=(title or name or _("Attachment"))[:200], size=len(data))
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}[detected.content_type]
    attachment.file.save(f"notice-{notice.pk}.{extension}", ContentFile(data), save=False)
    attachment.preview.save(f"notice-{notice.pk}-preview.jpg", ContentFile(preview), save=False)
    attachment.save()
    return attachment


def notice_submit(*, notice: Notice) -> Notice:
    """A draft goes to the approvers."""
    if notice.state != Notice.State.DRAFT:
        raise NoticeRefused(_("Only a draft can be submitted for approval."), "state")
    notice.state = Notice.State.PENDING
    notice.save(update_fields=["state", "updated_at"])
    return notice


@transaction.atomic
def notice_publish(*, notice: Notice, actor, now=None) -> Notice:
    """Publish now (or schedule for `publish_at`); a published notice is fanned out at once, in this
    transaction (the outbox), a scheduled one by `notices_publish_due`."""
    now = now or timezone.now()
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.state not in (Notice.State.DRAFT, Notice.State.PENDING):
        raise NoticeRefused(_("This notice is %(state)s; only drafts and notices waiting for approval are published.")
                            % {"state": notice.get_state_display().lower()}, "state")
    if notice.area is None:
        raise NoticeRefused(_("The notice has no target area."), "target")
    prices = MunicipalityNoticeSettings.objects.filter(municipality_id=notice.municipality_id).first()
    if prices and prices.requires_approval and actor is not None and notice.created_by_id == actor.pk:
        raise NoticeRefused(_("This municipality requires another officer to approve the notices you write."), "state")
    if notice.expires_at and notice.expires_at <= now:
        raise NoticeRefused(_("The notice would already have expired."), "expires_at")
    notice.publish_at = notice.publish_at or now
    notice.approved_by = actor if getattr(actor, "is_authenticated", False) else None
    notice.state = Notice.State.SCHEDULED if notice.publish_at > now else Notice.State.PUBLISHED
    notice.save(update_fields=["publish_at", "approved_by", "state", "updated_at"])
    if notice.state == Notice.State.PUBLISHED:
        notice_fan_out_soon(notice=notice, now=now)
    return notice


def notice_fan_out_soon(*, notice: Notice, now=None) -> None:
    """Fan the notice out: with Celery delivery, as a task on the "fanout" queue after this commit (a
    notice to a whole municipality never holds up the request that published it; if the broker is
    away, or the task is lost, `notices_publish_due` fans out every published version not yet
    notified); otherwise here, in this transaction."""
    if imbizo_setting("DELIVERY") != "celery" or outbound._recording_only.get():
        notice_fan_out(notice=notice, now=now)
        return

    def queue():
        from notices.tasks import notice_fan_out as task

        try:
            task.delay(notice.pk)
        except Exception:  # the broker is away: the beat's notices_publish_due picks it up
            logger.warning("could not queue the fan-out of notice %s; notices_publish_due will", notice.pk)

    transaction.on_commit(queue)


def notice_fan_out(*, notice: Notice, now=None) -> int:
    """Queue the current version's messages to everyone the notice reaches; returns how many.
    Idempotent per version. Demo data (outbound.recording_only) is recorded, never sent."""
    now = now or timezone.now()
    state = OutboundMessage.State.SKIPPED if outbound._recording_only.get() else OutboundMessage.State.QUEUED
    subject, email_body, sms_body = notice_messages(notice)
    with transaction.atomic():
        count = notice_enqueue(notice=notice, subject=subject, email_body=email_body, sms_body=sms_body, now=now,
                               state=state)
        if notice.version not in notice.notified_versions:
            notice.notified_versions = [*notice.notified_versions, notice.version]
            Notice.objects.filter(pk=notice.pk).update(notified_versions=notice.notified_versions)
    return count


def notice_url(notice: Notice) -> str:
    return f"{imbizo_setting('PUBLIC_URL').rstrip('/')}/m/{notice.municipality.code}/notices/{notice.pk}/"


def notice_messages(notice: Notice) -> tuple[str, str, str]:
    """(subject, email body, SMS body) of the notice's current version."""
    municipality = notice.municipality.display_name or notice.municipality.name
    updated = _("Updated: ") if notice.version > 1 else ""
    subject = f"{updated}{notice.get_kind_display()}: {notice.title}"
    when = ""
    if notice.starts_at or notice.ends_at:
        zone = ZoneInfo(notice.municipality.timezone)
        parts = [timezone.localtime(moment, zone).strftime("%Y-%m-%d %H:%M")
                 for moment in (notice.starts_at, notice.ends_at) if moment]
        when = _("When: %(when)s") % {"when": " – ".join(parts)} + "\n\n"
    base = imbizo_setting("PUBLIC_URL").rstrip("/")
    files = "".join(f"\n- {attachment.title}: {base}{reverse('notice-attachment', args=[attachment.pk])}"
                    for attachment in notice.attachments.all())
    email_body = (f"{municipality}\n\n{notice.title}\n\n{when}{body_as_text(notice.body)}\n\n"
                  + (_("Attached:") + files + "\n\n" if files else "")
                  + _("Read the notice: %(url)s") % {"url": notice_url(notice)})
    sms_body = f"{municipality}: {updated}{notice.title}. {notice_url(notice)}"
    return subject, email_body, sms_body


@transaction.atomic
def notice_cancel(*, notice: Notice, actor, renotify: bool = False, now=None) -> Notice:
    """Cancel a notice: it leaves the public pages; its messages not yet sent are dropped."""
    if notice.state in (Notice.State.CANCELLED, Notice.State.EXPIRED):
        raise NoticeRefused(_("The notice is already %(state)s.") % {"state": notice.get_state_display().lower()}, "state")
    notice.state, notice.cancelled_at = Notice.State.CANCELLED, now or timezone.now()
    notice.save(update_fields=["state", "cancelled_at", "updated_at"])
    OutboundMessage.objects.filter(topic__in=notice.topics, state=OutboundMessage.State.QUEUED).update(
        state=OutboundMessage.State.GAVE_UP, last_error=_("The notice was cancelled."))
    return notice


def notices_publish_due(*, now=None) -> int:
    """Publish the scheduled notices whose time has come and fan them out; returns how many."""
    now = now or timezone.now()
    count = 0
    for notice in Notice.objects.filter(state=Notice.State.SCHEDULED, publish_at__lte=now).select_related("municipality"):
        with transaction.atomic():
            Notice.objects.filter(pk=notice.pk).update(state=Notice.State.PUBLISHED)
            notice.state = Notice.State.PUBLISHED
            notice_fan_out(notice=notice, now=now)
        count += 1
    # A published version whose fan-out task never ran (the broker was away, or lost it).
    never_notified = (Notice.objects.filter(state=Notice.State.PUBLISHED, updated_at__lte=now - timedelta(minutes=2))
                      .exclude(notified_versions__contains=[F("version")]))
    for notice in never_notified.select_related("municipality"):
        notice_fan_out(notice=notice, now=now)
        count += 1
    return count


def notices_expire_due(*, now=None) -> int:
    """Mark published notices past their expiry as expired; returns how many."""
    now = now or timezone.now()
    return Notice.objects.filter(state=Notice.State.PUBLISHED, expires_at__lte=now).update(state=Notice.State.EXPIRED)
