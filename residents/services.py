"""Every change to a resident's places, alerts and preferences. Callers (the API, the pages, the
anonymous subscription in triage) parse and authorise; these write."""

import hashlib

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from residents.areas import AreaError, drawn_area, radius_area
from residents.models import AlertShape, AreaAlert, Consent, Place, Preferences
from wards.models import Municipality, Suburb, Ward

MAX_PLACES = 20
MAX_ALERTS = 20


def place_create(*, user, name: str, point: Point, is_home: bool = False, address: str = "") -> Place:
    """Save a named place; a new home replaces the old one's home mark. The point must be inside a
    municipality served here (AreaError on "point")."""
    if not Municipality.objects.covering(point).exists():
        raise AreaError("point", "This point is not inside any municipality served here.")
    if user.places.filter(name=name).exists():
        raise AreaError("name", f"You already have a place called '{name}'.")
    if user.places.count() >= MAX_PLACES:
        raise AreaError("name", f"You can keep at most {MAX_PLACES} places.")
    with transaction.atomic():
        if is_home:
            user.places.filter(is_home=True).update(is_home=False)
        return Place.objects.create(user=user, name=name, point=point, is_home=is_home, address=address)


def place_delete(*, place: Place) -> None:
    """Delete a place and the radius alerts drawn around it."""
    place.delete()


def alert_area(*, area: dict, municipality: Municipality | None, user=None) -> dict:
    """The fields of an alert for one of the area shapes the API takes: {"ward": code},
    {"suburb": id}, {"place": id, "radius_m": n} or a GeoJSON geometry. The geometry is computed once,
    now, and stored: a later demarcation does not move an alert made from a ward."""
    if not isinstance(area, dict):
        raise AreaError("area", "The area must be a JSON object.")
    if "ward" in area:
        wards = Ward.objects.current().filter(code=str(area["ward"]))
        if municipality is not None:
            wards = wards.filter(municipality=municipality)
        ward = wards.select_related("municipality").first()
        if ward is None:
            raise AreaError("ward", f"There is no current ward '{area['ward']}'.")
        return {"source": AreaAlert.Source.WARD, "ward": ward, "municipality": ward.municipality, "area": ward.geom}
    if "suburb" in area:
        suburbs = Suburb.objects.filter(pk=area["suburb"]) if str(area["suburb"]).isdigit() else Suburb.objects.none()
        if municipality is not None:
            suburbs = suburbs.filter(municipality=municipality)
        suburb = suburbs.select_related("municipality").first()
        if suburb is None:
            raise AreaError("suburb", f"There is no suburb {area['suburb']!r}.")
        return {"source": AreaAlert.Source.SUBURB, "suburb": suburb, "municipality": suburb.municipality,
                "area": suburb.geom}
    if "place" in area:
        place = (Place.objects.filter(pk=area["place"], user=user).first()
                 if user is not None and str(area["place"]).isdigit() else None)
        if place is None:
            raise AreaError("place", f"You have no place {area['place']!r}.")
        geom = radius_area(place.point, area.get("radius_m"))
        municipality = municipality or Municipality.objects.covering(place.point).first()
        return {"source": AreaAlert.Source.PLACE, "place": place, "radius_m": int(area["radius_m"]),
                "municipality": municipality, "area": geom}
    if "type" in area:
        if municipality is None:
            raise AreaError("municipality", "Name the municipality the area is in.")
        return {"source": AreaAlert.Source.DRAWN, "municipality": municipality,
                "area": drawn_area(area, municipality=municipality)}
    raise AreaError("area", 'Give a GeoJSON geometry, {"ward": code}, {"suburb": id} or {"place": id, "radius_m": n}.')


def alert_create(*, user=None, email: str = "", area: dict, municipality: Municipality | None = None,
                 issues: bool = True, notices: bool = True, digest: str = AreaAlert.Digest.EACH) -> AreaAlert:
    """Subscribe an account (confirmed at once) or an email address (confirmed by its owner later,
    alert_confirm) to an area."""
    if user is not None and user.alerts.count() >= MAX_ALERTS:
        raise AreaError("area", f"You can keep at most {MAX_ALERTS} alerts.")
    fields = alert_area(area=area, municipality=municipality, user=user)
    fields["shape"] = shape_for(fields["area"])
    return AreaAlert.objects.create(user=user, email="" if user else email.strip().lower(), issues=issues,
                                    notices=notices, digest=digest,
                                    confirmed_at=timezone.now() if user is not None else None, **fields)


def shape_for(geom) -> AlertShape:
    """The shared shape of exactly this geometry, made on first use."""
    digest = hashlib.md5(bytes(geom.ewkb), usedforsecurity=False).hexdigest()
    return AlertShape.objects.get_or_create(digest=digest, defaults={"geom": geom})[0]


def alert_confirm(*, alert: AreaAlert) -> AreaAlert:
    """The owner of the address opened the confirmation link and pressed the button (double opt-in)."""
    if alert.confirmed_at is None:
        alert.confirmed_at = timezone.now()
        alert.save(update_fields=["confirmed_at"])
    return alert


@transaction.atomic
def alert_delete(*, alert: AreaAlert) -> None:
    """Delete the alert, and its shape when no other alert shares it."""
    shape_id = alert.shape_id
    alert.delete()
    if shape_id is not None:
        AlertShape.objects.filter(pk=shape_id).exclude(alerts__isnull=False).delete()


def preferences_of(user) -> Preferences:
    return Preferences.objects.get_or_create(user=user)[0]


def preferences_update(*, user, **values) -> Preferences:
    preferences = preferences_of(user)
    for name, value in values.items():
        setattr(preferences, name, value)
    preferences.full_clean()
    preferences.save()
    consents_follow_preferences(user=user, preferences=preferences)
    return preferences


CONSENT_WORDING = {
    "email": "I agree that the municipality emails me about my reports, my alerts and its notices, as my preferences say.",
    "sms": "I agree that the municipality sends me SMS messages about my reports, my alerts and its notices, "
           "as my preferences say.",
    "push": "I agree that the municipality sends notifications to this device about my reports, my alerts and its notices.",
}


def consent_give(*, user, channel: str, wording: str | None = None) -> Consent:
    """Record consent on a channel with the wording shown (the standard wording by default); a
    channel already consented to keeps its first live record."""
    live = Consent.objects.filter(user=user, channel=channel, withdrawn_at=None).first()
    if live is not None:
        return live
    return Consent.objects.create(user=user, channel=channel, wording=wording or CONSENT_WORDING[channel],
                                  given_at=timezone.now())


def consent_withdraw(*, user, channel: str) -> int:
    return Consent.objects.filter(user=user, channel=channel, withdrawn_at=None).update(withdrawn_at=timezone.now())


def consents_follow_preferences(*, user, preferences: Preferences) -> None:
    """Turning a channel on in the preferences gives consent on it (with the wording shown there);
    turning it off withdraws it."""
    for channel, on in (("email", preferences.by_email), ("sms", preferences.by_sms), ("push", preferences.by_push)):
        if on:
            consent_give(user=user, channel=channel)
        else:
            consent_withdraw(user=user, channel=channel)
