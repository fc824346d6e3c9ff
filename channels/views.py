"""Provider webhooks: `/channels/<provider>/inbound` (and its GET verification) and
`/channels/<provider>/status`; the staff's phone simulator page.

A webhook is verified first (an unsigned or wrongly signed one is a 403 and nothing is stored),
parsed (a malformed one is a 400 naming the field), each message stored once (a replay is a 200
that does nothing), and answered at once; the conversation runs after the commit. `<provider>` is
a provider name (`twilio`) or an account's key (`lesedi-sms`) when one provider serves several
municipalities from different accounts.
"""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.cache import caches
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from channels.dispatch import handle_stored
from channels.models import Channel, ProviderAccount
from channels.providers import provider_for
from channels.providers.base import Malformed, Parsed
from channels.services import inbound_handle, inbound_store, inbound_store_row, receipt_apply

ACCOUNTS_KEPT = 10  # seconds each worker keeps the accounts a webhook name stands for


def candidate_accounts(name: str) -> list[ProviderAccount]:
    key = f"channels:accounts:{name}"
    accounts = caches["per_process"].get(key)
    if accounts is None:
        accounts = list(ProviderAccount.objects.active().filter(Q(provider=name) | Q(key=name))
                        .select_related("municipality").order_by("pk"))
        caches["per_process"].set(key, accounts, ACCOUNTS_KEPT)
    if not accounts:
        raise Http404(f"No active account of '{name}'.")
    return accounts


def verified_accounts(request, name: str) -> list[ProviderAccount]:
    return [account for account in candidate_accounts(name) if provider_for(account).verify(request)]


def forbidden() -> HttpResponse:
    return JsonResponse({"detail": "The request is not signed by the provider (or the signature is wrong)."}, status=403)


def malformed(error: Malformed) -> HttpResponse:
    return JsonResponse({error.field: [error.message]}, status=400)


def pick(accounts: list[ProviderAccount], parsed: Parsed) -> ProviderAccount:
    """Of the accounts the request verified against, the one its messages are addressed to."""
    addressed = {message.to for message in parsed.messages if message.to}
    for account in accounts:
        if account.address and account.address.lstrip("+") in {to.lstrip("+") for to in addressed}:
            return account
    return accounts[0]


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def inbound(request, provider: str):
    if request.method in ("GET", "HEAD"):
        for account in candidate_accounts(provider):
            answer = provider_for(account).verification_challenge(request)
            if answer is not None and answer.status_code == 200:
                return answer
        return forbidden()
    accounts = verified_accounts(request, provider)
    if not accounts:
        return forbidden()
    adapter = provider_for(accounts[0])
    try:
        parsed = adapter.parse_inbound(request)
    except Malformed as error:
        return malformed(error)
    account = pick(accounts, parsed)
    adapter = provider_for(account)
    if adapter.synchronous:  # USSD: the answer is this response, and a replayed step gets the same screen
        if not parsed.messages:
            return adapter.acknowledge(request, parsed)
        with transaction.atomic():
            row = inbound_store_row(account=account, incoming=parsed.messages[0])
            if row is not None:
                turn = inbound_handle(row.pk, just_stored=row)
        if row is None:
            turn = inbound_handle(inbound_store(account=account, incoming=parsed.messages[0])[0])
        return ussd_answer(adapter, turn)
    with transaction.atomic():
        stored = [inbound_store_row(account=account, incoming=message) for message in parsed.messages]
        for receipt in parsed.receipts:
            receipt_apply(accounts=accounts, receipt=receipt)
        handle_stored([message for message in stored if message is not None])
    return adapter.acknowledge(request, parsed)


def ussd_answer(adapter, turn) -> HttpResponse:
    if turn.limited is not None:
        return adapter.answer(_("Too many requests from this number. Please try again later."), finished=True)
    text = "\n".join(turn.replies) or _("Dial again to start.")
    if turn.repeated and text[:4] in ("CON ", "END "):
        return adapter.answer(text[4:], finished=text.startswith("END"))
    return adapter.answer(text, finished=turn.finished)


@csrf_exempt
@require_http_methods(["POST"])
def status(request, provider: str):
    accounts = verified_accounts(request, provider)
    if not accounts:
        return forbidden()
    adapter = provider_for(accounts[0])
    try:
        parsed = adapter.parse_status(request)
    except Malformed as error:
        return malformed(error)
    with transaction.atomic():
        for receipt in parsed.receipts:
            receipt_apply(accounts=accounts, receipt=receipt)
    return adapter.acknowledge(request, parsed)


@staff_member_required
def simulator(request):
    return render(request, "channels/simulator.html", {"channels": Channel.choices})
