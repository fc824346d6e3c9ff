"""The steps of a conversation: each reads one answer against the question its state names, moves
the conversation on and adds the next question to the turn's replies."""

from __future__ import annotations

import datetime
import logging

from django.contrib.gis.geos import Point
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from channels.gazetteer import Place, best_or_choices, places_matching, ward_place
from channels.models import Channel
from toolkit.conf import imbizo_setting
from triage.intake.services import IdempotencyKeyReused, InvalidReport, Report, issue_create, locate
from triage.issues.models import Category, Issue, Question
from wards.models import Municipality

logger = logging.getLogger(__name__)
PAGE = {Channel.USSD: 5}  # USSD screens hold about 180 characters
DEFAULT_PAGE = 9
SKIP_WORDS = {"0", "skip", "no", "none", "-"}
YES_WORDS = {"1", "yes", "y", "ok", "send"}
NO_WORDS = {"2", "no", "n"}


def conversation_lifetime() -> datetime.timedelta:
    return datetime.timedelta(minutes=imbizo_setting("CONVERSATION_MINUTES"))


def reset(conversation) -> None:
    conversation.state, conversation.draft = "idle", {}


def municipality_of(conversation) -> Municipality:
    return conversation.account.municipality


def help_text() -> str:
    return _("Report a problem: send MENU. Check a report: send STATUS and its reference. "
             "CANCEL stops a report, STOP stops updates.")


def example_reference(conversation) -> str:
    return f"{municipality_of(conversation).code}-{timezone.now().year}-000123"


# --- the menu -----------------------------------------------------------------------------------

def show_menu(conversation, turn) -> None:
    conversation.state = "menu"
    turn.replies.append(_("%(name)s: reply 1 to report a problem, 2 to check a report.")
                        % {"name": municipality_of(conversation).title})


def on_idle(conversation, inbound, text, turn, now) -> None:
    if text in ("1", "2"):
        on_menu(conversation, inbound, text, turn, now)
        return
    show_menu(conversation, turn)


def on_menu(conversation, inbound, text, turn, now) -> None:
    if text == "1":
        conversation.draft = {"started": inbound.received_at.isoformat(), "page": 0}
        show_categories(conversation, turn)
    elif text == "2":
        conversation.state = "status"
        turn.replies.append(_("Send the reference number of your report, e.g. %(example)s.")
                            % {"example": example_reference(conversation)})
    else:
        turn.replies.append(_("Please reply 1 or 2."))
        show_menu(conversation, turn)


def on_status(conversation, inbound, text, turn, now) -> None:
    turn.replies.append(_("That is not a reference number. It looks like %(example)s.")
                        % {"example": example_reference(conversation)})


def status_of(reference: str) -> str:
    issue = (Issue.objects.public().filter(reference=reference).select_related("category", "municipality")
             .only("reference", "status", "expected_at", "resolved_at", "category__name", "municipality__timezone")
             .first())
    if issue is None:
        return _("We found no report %(reference)s. Check the number and send it again.") % {"reference": reference}
    zone = timezone.get_fixed_timezone(0)
    try:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(issue.municipality.timezone)
    except Exception:  # noqa: BLE001 - a bad zone name shows times in UTC
        pass
    line = _("%(reference)s (%(category)s): %(status)s.") % {
        "reference": issue.reference, "category": issue.category.name, "status": issue.get_status_display()}
    if issue.is_open and issue.expected_at:
        line += " " + _("Expected by %(date)s.") % {
            "date": formats.date_format(issue.expected_at.astimezone(zone), "j M Y")}
    elif issue.resolved_at:
        line += " " + _("Resolved on %(date)s.") % {
            "date": formats.date_format(issue.resolved_at.astimezone(zone), "j M Y")}
    return line


# --- category and questions ---------------------------------------------------------------------

def _categories(conversation) -> list[Category]:
    return list(Category.objects.filter(municipality=municipality_of(conversation), is_active=True)
                .order_by("group", "name").only("id", "name"))


def show_categories(conversation, turn) -> None:
    conversation.state = "category"
    categories = _categories(conversation)
    size = PAGE.get(conversation.channel, DEFAULT_PAGE)
    page = conversation.draft.get("page", 0)
    start = page * size
    shown = categories[start:start + size]
    conversation.draft["choices"] = [category.pk for category in shown]
    lines = [_("What is the problem? Reply with its number:")]
    lines += [f"{number} {category.name}" for number, category in enumerate(shown, 1)]
    if start + size < len(categories):
        lines.append(_("0 More"))
    turn.replies.append("\n".join(lines))


def on_category(conversation, inbound, text, turn, now) -> None:
    choices = conversation.draft.get("choices", [])
    if text == "0":
        size = PAGE.get(conversation.channel, DEFAULT_PAGE)
        more = (conversation.draft.get("page", 0) + 1) * size < len(_categories(conversation))
        conversation.draft["page"] = conversation.draft.get("page", 0) + 1 if more else 0
        show_categories(conversation, turn)
        return
    if not text.isdigit() or not 1 <= int(text) <= len(choices):
        turn.replies.append(_("Please reply with one of the numbers."))
        show_categories(conversation, turn)
        return
    category = Category.objects.filter(pk=choices[int(text) - 1], is_active=True).first()
    if category is None:
        show_categories(conversation, turn)
        return
    required = list(category.questions.filter(required=True).order_by("order", "code").values_list("code", flat=True))
    conversation.draft.update(category=category.pk, category_name=category.name, questions=required, answers={})
    next_question_or_location(conversation, turn)


def _question(conversation) -> Question | None:
    pending = conversation.draft.get("questions", [])
    if not pending:
        return None
    return Question.objects.filter(category_id=conversation.draft["category"], code=pending[0]).first()


def next_question_or_location(conversation, turn) -> None:
    question = _question(conversation)
    if question is None:
        ask_location(conversation, turn)
        return
    conversation.state = "question"
    lines = [question.prompt]
    if question.datatype in (Question.Datatype.SINGLE_CHOICE, Question.Datatype.MULTIPLE_CHOICE):
        lines += [f"{number} {choice.get('name', choice['key'])}" for number, choice in enumerate(question.choices, 1)]
    elif question.datatype == Question.Datatype.YES_NO:
        lines += [_("1 Yes"), _("2 No")]
    turn.replies.append("\n".join(lines))


def on_question(conversation, inbound, text, turn, now) -> None:
    question = _question(conversation)
    if question is None:
        ask_location(conversation, turn)
        return
    kind = Question.Datatype
    answer = text
    if question.datatype in (kind.SINGLE_CHOICE, kind.MULTIPLE_CHOICE):
        keys = [str(choice["key"]) for choice in question.choices]
        picked = [part for part in text.replace(",", " ").split() if part.isdigit() and 1 <= int(part) <= len(keys)]
        if not picked:
            turn.replies.append(_("Please reply with one of the numbers."))
            next_question_or_location(conversation, turn)
            return
        answer = keys[int(picked[0]) - 1] if question.datatype == kind.SINGLE_CHOICE else [keys[int(p) - 1] for p in picked]
    elif question.datatype == kind.YES_NO:
        answer = "yes" if text.lower() in YES_WORDS else "no" if text.lower() in NO_WORDS else ""
    if answer in ("", []):
        turn.replies.append(_("Please answer the question."))
        next_question_or_location(conversation, turn)
        return
    conversation.draft["answers"][question.code] = answer
    conversation.draft["questions"] = conversation.draft["questions"][1:]
    next_question_or_location(conversation, turn)


# --- where -----------------------------------------------------------------------------------------

def ask_location(conversation, turn) -> None:
    conversation.state = "location"
    if conversation.channel == Channel.WHATSAPP:
        turn.replies.append(_("Where is it? Share your location (📎 → Location), or send the ward number, "
                              "the suburb, or a street or landmark nearby."))
    else:
        turn.replies.append(_("Where is it? Send the ward number (e.g. WARD 8), the suburb, or a street or "
                              "landmark nearby."))


def _ward_number(text: str) -> int | None:
    words = text.lower().replace("ward", " ").replace("no.", " ").split()
    if len(words) == 1 and words[0].isdigit() and len(words[0]) <= 3:
        return int(words[0])
    return None


def on_location(conversation, inbound, text, turn, now) -> None:
    municipality = municipality_of(conversation)
    if inbound.location is not None:
        point = inbound.location
        if not Municipality.objects.filter(pk=municipality.pk).covering(point).exists():
            turn.replies.append(_("That place is outside %(name)s. Share a place inside it, or send a ward number.")
                                % {"name": municipality.title})
            return
        choose(conversation, Place(name=text or _("your shared location"), kind=_("pin"), lon=point.x, lat=point.y),
               turn, pinned=True)
        return
    number = _ward_number(text)
    if number is not None:
        place = ward_place(municipality, number)
        if place is None:
            turn.replies.append(_("%(name)s has no ward %(number)s. Send another ward number, or a suburb or street.")
                                % {"name": municipality.title, "number": number})
            return
        choose(conversation, place, turn)
        return
    candidates = best_or_choices(places_matching(municipality, text)) if text else []
    if not candidates:
        turn.replies.append(_("We could not find \"%(text)s\". Send the ward number, the suburb, or a street "
                              "or landmark nearby.") % {"text": text[:40]})
        return
    if len(candidates) == 1:
        choose(conversation, candidates[0], turn)
        return
    conversation.state = "choose_place"
    conversation.draft["candidates"] = [place.as_dict() for place in candidates]
    turn.replies.append(_choices_text(candidates))


def _choices_text(candidates) -> str:
    lines = [_("Which one? Reply with its number:")]
    lines += [f"{number} {Place(**place).label if isinstance(place, dict) else place.label}"
              for number, place in enumerate(candidates, 1)]
    lines.append(_("0 None of these"))
    return "\n".join(lines)


def on_choose_place(conversation, inbound, text, turn, now) -> None:
    candidates = conversation.draft.get("candidates", [])
    if inbound.location is not None or (text and not text.isdigit()):
        conversation.state = "location"
        on_location(conversation, inbound, text, turn, now)
        return
    if text == "0":
        ask_location(conversation, turn)
        return
    if not text.isdigit() or not 1 <= int(text) <= len(candidates):
        turn.replies.append(_choices_text(candidates))
        return
    choose(conversation, Place(**candidates[int(text) - 1]), turn)


def choose(conversation, place: Place, turn, *, pinned: bool = False) -> None:
    conversation.draft.pop("candidates", None)
    conversation.draft["place"] = place.as_dict()
    conversation.draft["pinned"] = pinned
    conversation.state = "describe"
    turn.replies.append(_("Describe the problem in a few words (or send 0 to skip)."))


def on_describe(conversation, inbound, text, turn, now) -> None:
    conversation.draft["description"] = "" if text.lower() in SKIP_WORDS else text
    if conversation.channel == Channel.WHATSAPP:
        conversation.state = "photo"
        turn.replies.append(_("Send a photo of the problem, or 0 to skip."))
        return
    ask_confirm(conversation, turn)


def on_photo(conversation, inbound, text, turn, now) -> None:
    if inbound.media:
        conversation.draft["photo"] = inbound.media
    elif text.lower() not in SKIP_WORDS:
        turn.replies.append(_("Send a photo, or 0 to skip."))
        return
    ask_confirm(conversation, turn)


# --- confirm and file ------------------------------------------------------------------------------

def _where(conversation) -> str:
    place = conversation.draft["place"]
    category = Category.objects.get(pk=conversation.draft["category"])
    found = locate(category, Point(place["lon"], place["lat"], srid=4326))
    parts = [place["name"]] if not conversation.draft.get("pinned") or place["name"] else []
    if found and found.ward:
        parts.append(_("ward %(number)s") % {"number": found.ward.number})
    if found and found.suburb and found.suburb.name not in parts:
        parts.append(found.suburb.name)
    return ", ".join(parts)


def ask_confirm(conversation, turn) -> None:
    conversation.state = "confirm"
    turn.replies.append(_("Report %(category)s at %(where)s? Reply 1 to send, 2 to cancel.")
                        % {"category": conversation.draft["category_name"], "where": _where(conversation)})


def ask_again(conversation, turn) -> None:
    """Repeat the question the conversation is waiting on (after help or a message not understood)."""
    state = conversation.state
    if state == "category":
        show_categories(conversation, turn)
    elif state == "question":
        next_question_or_location(conversation, turn)
    elif state == "location":
        ask_location(conversation, turn)
    elif state == "choose_place":
        turn.replies.append(_choices_text(conversation.draft.get("candidates", [])))
    elif state == "describe":
        turn.replies.append(_("Describe the problem in a few words (or send 0 to skip)."))
    elif state == "photo":
        turn.replies.append(_("Send a photo, or 0 to skip."))
    elif state == "confirm":
        ask_confirm(conversation, turn)
    elif state == "status":
        turn.replies.append(_("Send the reference number of your report, e.g. %(example)s.")
                            % {"example": example_reference(conversation)})
    else:
        show_menu(conversation, turn)


def on_confirm(conversation, inbound, text, turn, now) -> None:
    word = text.lower()
    if word in NO_WORDS:
        reset(conversation)
        turn.replies.append(_("Cancelled: nothing was filed. Send MENU to start again."))
        turn.finished = True
        return
    if word not in YES_WORDS:
        ask_confirm(conversation, turn)
        return
    issue = file_report(conversation, turn)
    if issue is None:
        return
    turn.issue = issue
    turn.replies.append(_("Thank you. Your report is %(reference)s. Send STATUS %(reference)s to check on it; "
                          "we will send you its updates.") % {"reference": issue.reference})
    turn.started = datetime.datetime.fromisoformat(conversation.draft["started"])
    reset(conversation)
    turn.finished = True


def file_report(conversation, turn) -> Issue | None:
    """File the draft through intake, like every other channel's report. The Idempotency-Key is the
    conversation's draft: a repeated "1" files nothing twice."""
    draft = conversation.draft
    place = draft["place"]
    category = Category.objects.select_related("municipality").get(pk=draft["category"])
    channel = {Channel.SMS: "sms", Channel.WHATSAPP: "whatsapp", Channel.USSD: "ussd"}[conversation.channel]
    report = Report(
        category=category, location=Point(place["lon"], place["lat"], srid=4326),
        description=draft.get("description", ""), address="" if draft.get("pinned") else place["name"][:255],
        answers=draft.get("answers", {}), channel=channel, reporter_phone=conversation.phone, reporter_told=True,
    )
    try:
        intake = issue_create(report=report, idempotency_key=f"conversation:{conversation.pk}:{draft['started']}",
                              key_scope="channels")
    except InvalidReport as refused:
        message = next(iter(refused.errors.values()))[0]
        turn.replies.append(_("We could not file it: %(reason)s") % {"reason": message})
        ask_location(conversation, turn)
        return None
    except IdempotencyKeyReused:
        reset(conversation)
        turn.replies.append(_("Sorry, something went wrong. Send MENU to start again."))
        return None
    if draft.get("photo"):
        attach_photo(conversation, intake.issue, draft["photo"])
    return intake.issue


def attach_photo(conversation, issue, media: dict) -> None:
    """The WhatsApp photo, fetched from the provider and attached like any upload; a photo that
    cannot be fetched or is refused leaves the report filed without it (and is logged)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from channels.providers import provider_for
    from triage.media.services import media_attach

    try:
        content, content_type = provider_for(conversation.account).fetch_media(media.get("id", ""))
        media_attach(issue=issue, upload=SimpleUploadedFile("whatsapp-photo", content, content_type))
    except Exception:  # noqa: BLE001 - the report stands without its photo
        logger.exception("the photo %s for %s could not be attached", media.get("id"), issue.reference)
