"""Back-office updates (FixMyStreet's servicerequestupdates): a status change or a note from another system."""

from __future__ import annotations

import datetime

from django.db import transaction

from triage.issues import services
from triage.issues.models import Issue, IssueEvent
from triage.issues.workflow import CLOSED_STATUSES, IllegalTransition, Status
from triage.media.files import MediaRefused
from triage.media.services import media_attach
from triage.open311.core import (
    CLOCK_SKEW,
    MAX_PAGE_SIZE,
    Params,
    Result,
    api_client,
    bad_request,
    checked_media_url,
    forbidden,
    jurisdiction,
    not_found,
    parse_moment,
    parse_whole_number,
    public_media_url,
    w3c,
    zone_of,
)
from triage.open311.service_requests import PUBLIC_EVENTS, request_window

# --- the updates feed (FixMyStreet's GET servicerequestupdates) -----------------------------------

# Imbizo's status -> the update status FixMyStreet reads (the POST vocabulary above, lower-cased there).
FEED_STATUSES = {
    Status.SUBMITTED: "OPEN", Status.ACKNOWLEDGED: "INVESTIGATING", Status.ASSIGNED: "ACTION_SCHEDULED",
    Status.IN_PROGRESS: "IN_PROGRESS", Status.RESOLVED: "FIXED", Status.CLOSED: "CLOSED",
    Status.REJECTED: "NO_FURTHER_ACTION", Status.DUPLICATE: "DUPLICATE", Status.REOPENED: "OPEN",
}
FEED_ACTIONS = tuple(action for action in PUBLIC_EVENTS if action != IssueEvent.Action.CREATED)


def update_list(params: Params, *, now: datetime.datetime) -> Result:
    """GET servicerequestupdates: the public updates of the municipality's requests (status changes and
    back-office updates, with their public notes; never internal notes, assignments or priorities) made
    in the start_date/end_date window (default: the last 90 days; never wider), oldest first,
    `page_size` (at most and by default 1000) per `page`. Reading needs no api_key."""
    municipality = jurisdiction(params)
    zone = zone_of(municipality)
    start, end = request_window(params, zone, now)
    page = parse_whole_number(params, "page", default=1, minimum=1, maximum=1_000_000)
    page_size = parse_whole_number(params, "page_size", default=MAX_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)
    events = (IssueEvent.objects.filter(issue__municipality=municipality, action__in=FEED_ACTIONS,
                                        at__gte=start, at__lte=end)
              .select_related("issue").only("pk", "at", "to_status", "from_status", "public_note", "detail",
                                            "issue__reference", "issue__status")
              .order_by("at", "id"))
    first = (page - 1) * page_size
    return Result(200, "service_requests_updates", [
        _feed_entry(event, zone) for event in events[first:first + page_size]])


def _feed_entry(event: IssueEvent, zone) -> dict:
    status = event.to_status or event.from_status or event.issue.status
    label = Status(status).label if status in Status.values else ""
    return {
        "update_id": str(event.pk),
        "service_request_id": event.issue.reference,
        "status": FEED_STATUSES.get(status, "OPEN"),
        "updated_datetime": w3c(event.at, zone),
        "description": event.public_note or str(label),
        "media_url": (event.detail or {}).get("media_url") or None,
    }

# --- back-office updates (FixMyStreet's servicerequestupdates) -------------------------------

# A back office's status (FixMyStreet's update statuses, or Imbizo's own names) → Imbizo's status.
# OPEN and INVESTIGATING depend on where the issue is: a submitted issue is acknowledged, a
# closed one reopened. CLOSED is "resolved", or "closed" once resolved. The "not our job" family
# rejects the issue (the reporter reads the description, or the default reason below); DUPLICATE
# marks a duplicate when `duplicate_of` names the earlier request, else rejects it as reported
# before.
CONTEXTUAL = "contextual"
UPDATE_STATUSES: dict[str, tuple[str, str]] = {
    "OPEN": (CONTEXTUAL, ""),
    "INVESTIGATING": (CONTEXTUAL, ""),
    "ACKNOWLEDGED": (Status.ACKNOWLEDGED, ""),
    "ACTION_SCHEDULED": (Status.ASSIGNED, ""),
    "ASSIGNED": (Status.ASSIGNED, ""),
    "IN_PROGRESS": (Status.IN_PROGRESS, ""),
    "FIXED": (Status.RESOLVED, ""),
    "RESOLVED": (Status.RESOLVED, ""),
    "CLOSED": (CONTEXTUAL, ""),
    "NOT_COUNCILS_RESPONSIBILITY": (Status.REJECTED, "This is not the municipality's responsibility."),
    "NO_FURTHER_ACTION": (Status.REJECTED, "No further action will be taken."),
    "INTERNAL_REFERRAL": (Status.REJECTED, "Passed on to the office that deals with it."),
    "REJECTED": (Status.REJECTED, ""),
    "DUPLICATE": (Status.DUPLICATE, "This problem was reported before."),
    "REOPEN": (Status.REOPENED, ""),
    "REOPENED": (Status.REOPENED, ""),
}
# From submitted, the workflow goes to acknowledged first: an update that moves a submitted
# issue further on acknowledges it on the way (the back office has seen it).
ACKNOWLEDGED_ON_THE_WAY = frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED})


def status_for_update(raw: str, issue: Issue, has_parent: bool) -> tuple[str, str]:
    """(Imbizo status, default public note) for a back office's status on this issue."""
    name = raw.strip().upper().replace(" ", "_").replace("-", "_")
    if name not in UPDATE_STATUSES:
        raise bad_request(f"status: '{raw}' is not a status; use one of: {', '.join(UPDATE_STATUSES)}.")
    status, note = UPDATE_STATUSES[name]
    if name in ("OPEN", "INVESTIGATING"):
        if issue.status in CLOSED_STATUSES:
            return Status.REOPENED, ""
        # A submitted issue is acknowledged; one further on cannot become what it is (the
        # workflow says so).
        return (Status.ACKNOWLEDGED if issue.status == Status.SUBMITTED else issue.status), ""
    if name == "CLOSED":
        return (Status.CLOSED if issue.status == Status.RESOLVED else Status.RESOLVED), ""
    if status == Status.DUPLICATE and not has_parent:
        return Status.REJECTED, note
    return status, note


def _update_time(params: Params, issue: Issue, now: datetime.datetime) -> datetime.datetime:
    """When the update happened: updated_datetime, or now. One from the future, or older than the
    issue's last status change, is refused: applied, a stale update would undo a newer one."""
    zone = zone_of(issue.municipality)
    moment = parse_moment(params, "updated_datetime", zone)
    if moment is None:
        return now
    if moment > now + CLOCK_SKEW:
        raise bad_request(f"updated_datetime: {params.get('updated_datetime')} is in the future "
                          f"(it is {w3c(now, zone)} here).")
    last_change = (issue.events.filter(action__in=PUBLIC_EVENTS).order_by("-at").values_list("at", flat=True).first()
                   or issue.created_at)
    if moment < last_change:
        raise bad_request(f"updated_datetime: {params.get('updated_datetime')} is older than the last status change of "
                          f"{issue.reference} ({w3c(last_change, zone)}); a stale update is not applied.")
    return min(moment, now)


def request_update_create(params: Params, *, now: datetime.datetime, media=None) -> Result:
    """POST servicerequestupdates: a back office reports progress on an issue. The update is one
    workflow transition recorded with the update_id, so the same update_id twice is refused. A `media`
    file (multipart) is attached to the issue as a public file, through the same checks as any upload,
    or the whole update is refused."""
    client = api_client(params)
    if not client.may_post_updates:
        raise forbidden("This api_key may file requests but not post updates; "
                        "the municipality can allow updates for it (may post updates).")
    reference = params.get("service_request_id")
    if not reference:
        raise bad_request("service_request_id is required: the request this update is about.")
    issue = Issue.objects.select_related("municipality", "category").defer("municipality__boundary").filter(
        reference=reference.upper()).first()
    municipality = jurisdiction(params, required=False)
    if issue is None or (municipality is not None and issue.municipality_id != municipality.pk):
        raise not_found(f"There is no service request '{reference}'.")
    if client.municipality_id and client.municipality_id != issue.municipality_id:
        raise forbidden(f"This api_key updates requests of {client.municipality.code} only, "
                        f"not {issue.municipality.code}.")
    update_id = params.get("update_id")
    if not update_id:
        raise bad_request("update_id is required: your system's id of this update (each is applied once).")
    if len(update_id) > 64:
        raise bad_request(f"update_id: at most 64 characters, not {len(update_id)}.")
    raw_status = params.get("status")
    if not raw_status:
        raise bad_request("status is required, e.g. OPEN, IN_PROGRESS, FIXED or CLOSED.")
    description = params.get("description")
    if len(description) > 5000:
        raise bad_request(f"description: at most 5000 characters, not {len(description)}.")
    media_url = checked_media_url(params)
    if media is not None and media_url:
        raise bad_request("media and media_url: send the picture as a file or as a URL, not both.")
    external_status_code = params.get("external_status_code")[:100]
    parent = None
    if params.get("duplicate_of"):
        parent = Issue.objects.filter(reference=params.get("duplicate_of").upper()).first()
        if parent is None:
            raise bad_request(f"duplicate_of: there is no service request '{params.get('duplicate_of')}'.")
    if issue.events.filter(external_update_id=update_id).exists():
        raise bad_request(f"update_id: the update '{update_id}' was already applied to {issue.reference}.")

    at = _update_time(params, issue, now)
    to_status, default_note = status_for_update(raw_status, issue, parent is not None)
    public_note = description or default_note
    if media_url:
        public_note = f"{public_note}\n\n{media_url}" if public_note else media_url
    internal_note = f"Update {update_id} from {client.name}: status {raw_status}" + (
        f", external status code {external_status_code}" if external_status_code else "") + "."
    try:
        with transaction.atomic():
            if to_status == issue.status:  # the same status again, with news: a note, not a transition
                event = services.issue_note_add(
                    issue=issue, public_note=public_note or f"Update from {client.name}.", internal_note=internal_note,
                    at=at, external_update_id=update_id, label=client.name)
            else:
                if issue.status == Status.SUBMITTED and to_status in ACKNOWLEDGED_ON_THE_WAY:
                    services.issue_transition(issue=issue, to_status=Status.ACKNOWLEDGED, at=at, label=client.name)
                event = services.issue_transition(
                    issue=issue, to_status=to_status, public_note=public_note, internal_note=internal_note,
                    duplicate_of=parent if to_status == Status.DUPLICATE else None, at=at,
                    external_update_id=update_id, label=client.name,
                )
            if media is not None:
                media_url = public_media_url(media_attach(issue=issue, upload=media).pk)
            if media_url:  # the update's picture, for the updates feed
                event.detail = {**(event.detail or {}), "media_url": media_url}
                event.save(update_fields=["detail"])
    except MediaRefused as exc:
        raise bad_request(f"media: {exc}") from None
    except IllegalTransition as exc:
        raise bad_request(f"status: {exc}") from None
    except services.ActionRefused as exc:
        field = {"public_note": "description"}.get(exc.field, exc.field)
        raise bad_request(f"{field}: {exc}") from None
    return Result(200, "service_request_updates", [{"update_id": update_id}])
