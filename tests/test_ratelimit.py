"""toolkit.ratelimit: rates as written in settings, fixed windows in the shared cache, and the
client's address taken from X-Forwarded-For only as far as the deployment trusts its proxies."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from toolkit.ratelimit import Rate, RateLimited, address_key, check, client_ip, hit, rates


@pytest.mark.parametrize(("text", "count", "seconds"), [
    ("20/hour", 20, 3600), ("5/15min", 5, 900), ("10/day", 10, 86400), ("3/s", 3, 1), ("100 / 2 hours", 100, 7200),
])
def test_rates_are_written_as_a_count_per_period(text, count, seconds):
    assert (Rate.parse(text).count, Rate.parse(text).seconds) == (count, seconds)


@pytest.mark.parametrize("text", ["20", "20/fortnight", "many/hour", "/hour"])
def test_a_rate_that_cannot_be_read_is_refused_naming_it(text):
    with pytest.raises(ImproperlyConfigured, match=f"'{text}' is not a rate"):
        Rate.parse(text)


def test_a_deployment_replaces_the_scopes_it_names_and_none_lifts_a_limit(imbizo_settings):
    imbizo_settings(RATE_LIMITS={"report": {"client": "2/hour", "ip": None}})
    assert {kind: rate.text for kind, rate in rates("report").items()} == {"client": "2/hour"}
    assert set(rates("upvote")) == {"client", "ip", "ip_target"}  # left at its default
    imbizo_settings(RATE_LIMITS=None)
    assert rates("report") == {}
    imbizo_settings(RATE_LIMITS={"report": {"device": "2/hour"}})
    with pytest.raises(ImproperlyConfigured, match="device is not one of client, ip, ip_target"):
        rates("report")


@pytest.mark.django_db
def test_counts_start_again_in_the_next_window_and_the_wait_is_to_its_end():
    rate = Rate.parse("2/hour")
    start = 1_800_000_000.0  # the top of an hour
    assert hit("report", "ip", "192.0.2.1", rate, now=start) is None
    assert hit("report", "ip", "192.0.2.1", rate, now=start + 60) is None
    assert hit("report", "ip", "192.0.2.1", rate, now=start + 600) == 3000
    assert hit("report", "ip", "192.0.2.2", rate, now=start + 600) is None  # another key
    assert hit("report", "ip", "192.0.2.1", rate, now=start + 3600) is None  # the next hour


@pytest.mark.django_db
def test_the_refusal_names_the_limit_with_the_longest_wait(imbizo_settings):
    imbizo_settings(RATE_LIMITS={"follow": {"client": "1/minute", "ip": "5/day", "ip_target": "1/day"}})
    check("follow", identity="client:a", address="192.0.2.7", target="GT423-2026-000001")
    with pytest.raises(RateLimited) as refused:
        check("follow", identity="client:b", address="192.0.2.7", target="GT423-2026-000001")
    assert refused.value.limit == "follow per IP address and item"
    assert refused.value.body()["rate"] == "1/day" and 0 < refused.value.retry_after <= 86400


def request_from(remote: str, forwarded: str = ""):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().post("/", REMOTE_ADDR=remote, **extra)


def test_without_trusted_proxies_the_address_is_the_connections(imbizo_settings):
    imbizo_settings(TRUSTED_PROXIES=0)
    assert client_ip(request_from("192.0.2.10", "203.0.113.5")) == "192.0.2.10"


def test_with_trusted_proxies_only_the_entries_they_appended_are_believed(imbizo_settings):
    imbizo_settings(TRUSTED_PROXIES=1)
    # The client wrote "6.6.6.6" itself; our one proxy appended the address it saw.
    assert client_ip(request_from("127.0.0.1", "6.6.6.6, 203.0.113.5")) == "203.0.113.5"
    imbizo_settings(TRUSTED_PROXIES=2)
    assert client_ip(request_from("127.0.0.1", "6.6.6.6, 203.0.113.5, 10.0.0.2")) == "203.0.113.5"
    assert client_ip(request_from("127.0.0.1")) == "127.0.0.1"


def test_an_ipv6_client_counts_by_its_64_network():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key("192.0.2.1") == "192.0.2.1"
