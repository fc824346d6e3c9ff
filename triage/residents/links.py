"""Signed links in every message about an issue: its recipient may act on that issue (confirm fixed,
say not fixed, rate, comment, stop updates) from any device, without logging in, for
LINK_DAYS. A link names one issue and one recipient (django.core.signing's TimestampSigner). The
first device that acts through it keeps it; anywhere else, or once expired, it only shows the issue,
saying why."""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notices.outbound import Recipient
from toolkit.conf import imbizo_setting
from triage.issues.models import Channel
from triage.residents.models import ActionLinkUse

SALT = "triage.issue-action-link"
LINK_DAYS = 30
DEVICE_COOKIE = "imbizo_device"


def link_for(issue, recipient_key: str) -> str:
    token = signing.TimestampSigner(salt=SALT).sign_object({"i": issue.pk, "r": recipient_key}, compress=True)
    return imbizo_setting("PUBLIC_URL").rstrip("/") + f"/act/{token}/"


# A report made in a conversation (channels) hears back on the channel it came in on; a USSD
# session cannot be written to later, so its reporter hears by SMS.
PHONE_CHANNEL_OF_REPORT = {Channel.SMS: "sms", Channel.USSD: "sms", Channel.WHATSAPP: "whatsapp"}


def recipients_with_keys(issue) -> list[tuple[Recipient, str]]:
    """The reporter and the confirmed followers, each with the key their links carry:
    "reporter" (the account or anonymous reporter), "user:<id>", "email:<address>", "phone:<number>"."""
    found = []
    if issue.reporter_id:
        found.append((Recipient.of_user(issue.reporter), "reporter"))
    if issue.reporter_email or issue.reporter_phone:
        found.append((Recipient(email=issue.reporter_email, phone=issue.reporter_phone,
                                phone_channel=PHONE_CHANNEL_OF_REPORT.get(issue.channel, "")), "reporter"))
    for follower in issue.followers.filter(confirmed_at__isnull=False).select_related("user"):
        if follower.user_id:
            found.append((Recipient.of_user(follower.user), f"user:{follower.user_id}"))
        elif follower.email:
            found.append((Recipient(email=follower.email), f"email:{follower.email}"))
        elif follower.phone:
            found.append((Recipient(phone=follower.phone), f"phone:{follower.phone}"))
    return found


@dataclass
class LinkState:
    issue_id: int | None
    recipient: str = ""
    problem: str = ""  # why the link only shows the issue ("" when it may act)
    digest: str = ""

    @property
    def can_act(self) -> bool:
        return not self.problem

    @property
    def is_reporter(self) -> bool:
        return self.recipient == "reporter"


def read_link(token: str, *, device: str) -> LinkState:
    """What the link allows this device: act, or only look (expired, altered, used on another device)."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    signer = signing.TimestampSigner(salt=SALT)
    try:
        claim = signer.unsign_object(token, max_age=datetime.timedelta(days=LINK_DAYS))
    except signing.SignatureExpired:
        try:
            claim = signing.TimestampSigner(salt=SALT).unsign_object(token)
        except signing.BadSignature:
            return LinkState(None, problem=_("This link is not valid: copy the whole link from the message."))
        return LinkState(claim.get("i"), problem=_("This link has expired. You can still follow the issue here."))
    except signing.BadSignature:
        return LinkState(None, problem=_("This link is not valid: copy the whole link from the message."))
    use = ActionLinkUse.objects.filter(digest=digest).first()
    if use is not None and use.device != _hash(device):
        return LinkState(claim.get("i"), claim.get("r", ""), digest=digest,
                         problem=_("This link was already used on another device, so here it only shows the issue. "
                                   "The person it was sent to can still act from the device they used."))
    return LinkState(claim.get("i"), claim.get("r", ""), digest=digest)


def _hash(device: str) -> str:
    return hashlib.sha256(device.encode()).hexdigest()


def bind(state: LinkState, *, device: str) -> bool:
    """Keep the link for this device at its first action; False when another device took it first."""
    try:
        with transaction.atomic():
            ActionLinkUse.objects.create(digest=state.digest, device=_hash(device), first_used_at=timezone.now())
    except IntegrityError:
        return ActionLinkUse.objects.filter(digest=state.digest, device=_hash(device)).exists()
    return True


def new_device_id() -> str:
    return secrets.token_urlsafe(24)
