"""The staff's phone simulator page, in Chromium under the site's Content-Security-Policy."""

import pytest
from django.conf import settings

from triage.issues.models import Issue

pytestmark = [pytest.mark.browser, pytest.mark.shared_data, pytest.mark.django_db(transaction=True)]


def test_a_dispatcher_reports_by_ward_number_on_the_simulated_phone(offline_page, live_server, client, staff, categories):
    client.force_login(staff)
    offline_page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                                       "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
    page = offline_page
    page.goto(f"{live_server.url}/channels/simulator/")
    page.fill("#sim-from", "+27825550177")

    def say(text: str, expect: str) -> None:
        page.fill("#sim-text", text)
        page.click("#sim-compose button")
        page.locator(".bubble.out", has_text=expect).last.wait_for(timeout=15000)

    say("hi", "reply 1 to report")
    say("1", "Streetlight not working")
    say("1", "Where is it?")
    say("ward 8", "Describe the problem")
    say("0", "Reply 1 to send")
    say("1", "Your report is")
    issue = Issue.objects.get()
    assert page.locator(".bubble.out", has_text=issue.reference).count() == 1
    assert (issue.channel, issue.ward.number) == ("sms", 8)
    assert page.page_errors == [] and page.outside_requests == []


def test_the_page_is_for_staff_only(client, lesedi):
    from accounts.models import User

    assert client.get("/channels/simulator/").status_code == 302
    client.force_login(User.objects.create_user("resident@example.org", "pw-resident-9"))
    assert client.get("/channels/simulator/").status_code == 302
