"""Polling feeds: RSS 2.0, Atom and YouTube's Atom from a local server; conditional GET; items kept once;
timeouts, garbage, errors and oversized answers recorded with a back-off; pages and the API never break."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from directory.models import Feed, FeedItem
from directory.services import feeds as feed_service
from directory.services.feeds import feed_poll, feeds_poll_due
from directory.tests.feed_server import feed_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def server():
    with feed_server(stall_seconds=2.0) as running:
        yield running


def feed(town, server, path: str, **fields) -> Feed:
    return Feed.objects.create(municipality=town, title=path.strip("/"), url=server.url + path, **fields)


def test_an_rss_feed_is_kept_as_plain_text_items_and_not_refetched_when_unchanged(town, server):
    news = feed(town, server, "/rss")
    assert feed_poll(feed=news) == feed_service.PollResult("updated", new_items=3)
    item = FeedItem.objects.get(guid="lesedi-news-1041")
    assert item.title == "Planned water interruption in Ratanda, Ward 4"
    assert item.link == "https://www.lesedilm.gov.za/news/water-interruption-ratanda"
    assert "<" not in item.summary and "alert" not in item.summary  # HTML dropped, scripts with their text
    assert item.summary.startswith("Water will be off on Wednesday")
    assert item.published_at == datetime.datetime(2026, 11, 30, 6, 15, tzinfo=datetime.UTC)

    news.refresh_from_db()
    assert news.etag == '"lesedi_news_rss2.xml-1"' and not news.is_stale
    assert feed_poll(feed=news).status == "not_modified"
    assert server.requests[-1][1]["If-None-Match"] == '"lesedi_news_rss2.xml-1"'
    assert server.requests[-1][1]["If-Modified-Since"] == "Mon, 30 Nov 2026 08:15:00 GMT"
    assert FeedItem.objects.count() == 3


def test_items_are_kept_once_when_the_whole_feed_comes_again(town, server):
    news = feed(town, server, "/rss")
    feed_poll(feed=news)
    Feed.objects.filter(pk=news.pk).update(etag="", last_modified="")
    news.refresh_from_db()
    assert feed_poll(feed=news) == feed_service.PollResult("updated", new_items=0)
    assert FeedItem.objects.count() == 3


def test_atom_and_youtube_feeds(town, server):
    feed_poll(feed=feed(town, server, "/atom"))
    feed_poll(feed=feed(town, server, "/youtube", kind=Feed.Kind.YOUTUBE))
    hall = FeedItem.objects.get(title="Mayor opens the Jameson Park community hall")
    assert hall.link == "https://www.lesedilm.gov.za/media/community-hall"
    assert FeedItem.objects.get(guid="urn:uuid:6c1a3f4e-0002").summary == "Bins are collected the day after a public holiday."
    video = FeedItem.objects.get(guid="yt:video:LesediVid001")
    assert video.link == "https://www.youtube.com/watch?v=LesediVid001"
    assert video.image_url == "https://i1.ytimg.com/vi/LesediVid001/hqdefault.jpg"
    assert "adjustments budget" in video.summary


@pytest.mark.parametrize(("path", "says"), [
    ("/slow", "timed out"), ("/garbage", "not an RSS or Atom feed"), ("/error", "HTTP 500"), ("/huge", "larger than"),
])
def test_a_failing_feed_is_recorded_backed_off_and_stale(town, server, monkeypatch, path, says):
    monkeypatch.setattr(feed_service, "READ_TIMEOUT", 0.5)
    broken = feed(town, server, path, poll_minutes=30)
    before = timezone.now()
    result = feed_poll(feed=broken)
    assert result.status == "failed" and says in result.error
    broken.refresh_from_db()
    assert broken.failures == 1 and says in broken.last_error and broken.is_stale
    assert broken.next_poll_at >= before + datetime.timedelta(minutes=60)  # twice the interval
    feed_poll(feed=broken)
    broken.refresh_from_db()
    assert broken.failures == 2 and broken.next_poll_at >= before + datetime.timedelta(minutes=120)
    assert FeedItem.objects.count() == 0


def test_a_feed_that_recovers_is_fresh_again(town, server):
    news = feed(town, server, "/rss", failures=3, last_error="timed out")
    feed_poll(feed=news)
    news.refresh_from_db()
    assert (news.failures, news.last_error, news.is_stale) == (0, "", False)


def test_only_due_feeds_are_polled_and_the_command_reports_them(town, server, capsys):
    due = feed(town, server, "/rss")
    feed(town, server, "/atom", next_poll_at=timezone.now() + datetime.timedelta(hours=1))
    feed(town, server, "/youtube", is_active=False)
    assert list(feeds_poll_due()) == [due.pk]
    assert feeds_poll_due() == {}  # polled: not due again until its interval has passed
    call_command("poll_feeds", "--all")
    assert "2 feed(s) polled." in capsys.readouterr().out


def test_pages_and_the_api_show_the_good_feeds_and_never_break_on_bad_ones(town, server, client, monkeypatch):
    monkeypatch.setattr(feed_service, "READ_TIMEOUT", 0.5)
    for path in ("/rss", "/slow", "/garbage"):
        feed_poll(feed=feed(town, server, path))
    page = client.get("/m/TT001/feeds/")
    assert page.status_code == 200
    assert "Planned water interruption in Ratanda" in page.content.decode()
    assert "<script>" not in page.content.decode()
    items = client.get("/api/v1/feeds", {"municipality": "TT001"}).json()
    assert [item["title"] for item in items][:1] == ["Planned water interruption in Ratanda, Ward 4"]
    assert items[0]["feed"] == "rss" and len(items) == 3


def test_the_celery_task_polls_the_due_feeds(town, server):
    from directory.tasks import poll_feeds

    news = feed(town, server, "/rss")
    assert poll_feeds.run() == {str(news.pk): "updated"}
    assert poll_feeds.run() == {}


def test_staff_of_the_municipality_see_which_feeds_are_stale_residents_do_not(town, server, client, django_user_model,
                                                                               monkeypatch):
    monkeypatch.setattr(feed_service, "READ_TIMEOUT", 0.5)
    feed_poll(feed=feed(town, server, "/rss"))
    feed_poll(feed=feed(town, server, "/garbage"))
    assert "not being read" not in client.get("/m/TT001/feeds/").content.decode()
    client.force_login(django_user_model.objects.create_user("comms@testville.example", "pw-1", municipality=town,
                                                             is_staff=True))
    page = client.get("/m/TT001/feeds/").content.decode()
    assert "not being read" in page and "garbage: The answer is not an RSS or Atom feed" in page
    assert "Planned water interruption in Ratanda" in page
