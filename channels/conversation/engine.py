"""A conversation with one phone: each message is read against the question last asked.

Report: main menu → category (numbered, paged) → the category's required questions → where
(a WhatsApp pin, a ward number, or a name from the gazetteer; a choice when ambiguous) → a few
words → a photo (WhatsApp only) → confirm → filed through intake (`issue_create`) → the reference.
Status: "STATUS GT423-2026-000123" or the reference alone, at any point. Keywords at any point:
STOP, START, HELP, CANCEL, MENU. Nothing a resident sends raises: anything not understood gets a
short help line and the question again.

Every reply is marked for translation and rendered in the conversation's language.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _

from channels.conversation import steps
from channels.models import Channel

MAX_INPUT = 480  # a resident's message longer than this is answered with help (3 SMS parts)
REFERENCE = re.compile(r"\b([A-Z]{2,3}\d{3}-(?:H-)?\d{4}-\d{6})\b", re.IGNORECASE)
STOP_WORDS = {"stop", "stopall", "unsubscribe", "end", "quit", "cancel sms"}
START_WORDS = {"start", "unstop", "subscribe"}
HELP_WORDS = {"help", "info", "?"}
CANCEL_WORDS = {"cancel", "reset"}
MENU_WORDS = {"menu", "hi", "hello", "report", "0#"}


@dataclass
class Turn:
    """What one message led to: the replies (in order), whether a USSD session ends, the issue filed."""

    replies: list[str] = field(default_factory=list)
    finished: bool = False
    issue: object = None
    started: datetime.datetime | None = None
    repeated: bool = False
    limited: int | None = None  # seconds, when the phone is over its rate limit


def converse(*, conversation, inbound, now: datetime.datetime) -> Turn:
    """The replies to `inbound`; changes `conversation` (the caller saves it)."""
    with translation.override(conversation.language):
        turn = Turn()
        try:
            _converse(conversation, inbound, now, turn)
        except Exception:  # noqa: BLE001 - a resident never meets an exception: the flow starts again
            import logging

            logging.getLogger(__name__).exception("conversation %s failed on message %s", conversation.pk, inbound.pk)
            steps.reset(conversation)
            turn.replies = [_("Sorry, something went wrong. Send MENU to start again.")]
            turn.finished = True
        if conversation.state != "idle":
            conversation.expires_at = now + steps.conversation_lifetime()
        else:
            conversation.expires_at = None
        if turn.started is None and conversation.draft.get("started"):
            turn.started = datetime.datetime.fromisoformat(conversation.draft["started"])
        return turn


def _converse(conversation, inbound, now, turn: Turn) -> None:
    text = " ".join((inbound.text or "").split())
    word = text.lower()
    located = inbound.location is not None
    photo = bool(inbound.media)

    if conversation.channel == Channel.USSD and inbound.text == "" and not located:
        steps.reset(conversation)  # a new USSD session always starts at the menu
        steps.show_menu(conversation, turn)
        return
    if conversation.state != "idle" and conversation.expires_at and conversation.expires_at < now:
        minutes = int(steps.conversation_lifetime().total_seconds() // 60)
        steps.reset(conversation)
        turn.replies.append(_("Your unfinished report timed out after %(minutes)s minutes; nothing was filed.")
                            % {"minutes": minutes})
        if not text or word in MENU_WORDS or word.isdigit():
            steps.show_menu(conversation, turn)
            return

    if len(text) > MAX_INPUT:
        turn.replies.append(_("That message is too long. Please answer in a few words."))
        steps.ask_again(conversation, turn)
        return
    if word in STOP_WORDS:
        conversation.opted_out_at = now
        steps.reset(conversation)
        turn.replies.append(_("You will get no more updates from us. Send START to get them again."))
        turn.finished = True
        return
    if word in START_WORDS:
        conversation.opted_out_at = None
        turn.replies.append(_("Updates are on again. Send MENU to report a problem."))
        turn.finished = conversation.state == "idle"
        return
    if word in HELP_WORDS:
        turn.replies.append(steps.help_text())
        steps.ask_again(conversation, turn)
        return
    if word in CANCEL_WORDS:
        steps.reset(conversation)
        turn.replies.append(_("Cancelled: nothing was filed. Send MENU to start again."))
        turn.finished = True
        return
    reference = REFERENCE.search(text)
    if reference and (word.startswith("status") or word == reference.group(1).lower()
                      or conversation.state in ("idle", "menu", "status")):
        turn.replies.append(steps.status_of(reference.group(1).upper()))
        if conversation.state in ("idle", "menu", "status"):
            steps.reset(conversation)
            turn.finished = True
        else:
            steps.ask_again(conversation, turn)
        return
    if word.startswith("status"):
        conversation.state = "status"
        turn.replies.append(_("Send the reference number of your report, e.g. %(example)s.")
                            % {"example": steps.example_reference(conversation)})
        return
    if word in MENU_WORDS and conversation.state not in ("idle",):
        steps.reset(conversation)

    handler = STATES.get(conversation.state, steps.on_idle)
    if not text and not located and not photo and conversation.state not in ("idle",):
        turn.replies.append(_("We received an empty message."))
        steps.ask_again(conversation, turn)
        return
    handler(conversation, inbound, text, turn, now)


STATES = {
    "idle": steps.on_idle,
    "menu": steps.on_menu,
    "status": steps.on_status,
    "category": steps.on_category,
    "question": steps.on_question,
    "location": steps.on_location,
    "choose_place": steps.on_choose_place,
    "describe": steps.on_describe,
    "photo": steps.on_photo,
    "confirm": steps.on_confirm,
}
