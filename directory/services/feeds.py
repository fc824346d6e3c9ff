"""Polling the municipality's social feeds: fetched with a timeout, a size limit and a conditional GET,
parsed by feedparser, kept once per entry. A feed that fails is tried again later and later (back-off)
and shown as stale to staff; nothing a feed sends can break a page, which reads only stored items."""

import calendar
import datetime
import hashlib
import html
import logging
import time
from dataclasses import dataclass

import feedparser
import requests
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from directory.models import Feed, FeedItem

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5  # seconds to connect; each read may take READ_TIMEOUT
READ_TIMEOUT = 10
TOTAL_TIMEOUT = 20  # a server trickling bytes slowly is cut off after this many seconds in all
MAX_FEED_BYTES = 3 * 2**20
MAX_ITEMS_PER_POLL = 100
MAX_BACK_OFF = datetime.timedelta(hours=24)
USER_AGENT = "Imbizo feed reader (+https://github.com/imbizo)"


class FeedFailed(Exception):
    pass


@dataclass(frozen=True)
class PollResult:
    status: str  # "updated", "not_modified" or "failed"
    new_items: int = 0
    error: str = ""


def feed_poll(*, feed: Feed, session: requests.Session | None = None) -> PollResult:
    """Fetch the feed and keep its new entries. Never raises for what the feed's server does: a
    timeout, an error status, too many bytes or garbage are recorded on the feed with a back-off."""
    started = timezone.now()
    try:
        response = _fetch(feed, session or requests.Session())
        if response is None:
            _record_success(feed, started, etag=feed.etag, last_modified=feed.last_modified)
            return PollResult("not_modified")
        status, body, headers = response
        parsed = feedparser.parse(body)
        if not parsed.entries and (parsed.bozo or not parsed.version):
            raise FeedFailed(_("The answer is not an RSS or Atom feed (%(reason)s).") % {
                "reason": str(getattr(parsed, "bozo_exception", ""))[:200] or _("no entries")})
        new_items = feed_items_keep(feed=feed, entries=parsed.entries[:MAX_ITEMS_PER_POLL])
        _record_success(feed, started, etag=headers.get("ETag", ""), last_modified=headers.get("Last-Modified", ""))
        return PollResult("updated", new_items=new_items)
    except (FeedFailed, requests.RequestException) as error:
        message = str(error)[:1000] or error.__class__.__name__
        _record_failure(feed, started, message)
        logger.warning("feed %s (%s) failed: %s", feed.pk, feed.url, message)
        return PollResult("failed", error=message)


def _fetch(feed: Feed, session: requests.Session):
    """(status, body, headers), or None when the server says nothing changed (304)."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    deadline = time.monotonic() + TOTAL_TIMEOUT
    with session.get(feed.url, headers=headers, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), stream=True,
                     allow_redirects=True) as response:
        if response.status_code == 304:
            return None
        if response.status_code != 200:
            raise FeedFailed(_("The server answered HTTP %(status)s.") % {"status": response.status_code})
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_FEED_BYTES:
            raise FeedFailed(_("The feed is larger than %(limit)s bytes.") % {"limit": MAX_FEED_BYTES})
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_FEED_BYTES:
                raise FeedFailed(_("The feed is larger than %(limit)s bytes.") % {"limit": MAX_FEED_BYTES})
            if time.monotonic() > deadline:
                raise FeedFailed(_("The feed took longer than %(seconds)s seconds to arrive.") % {"seconds": TOTAL_TIMEOUT})
            chunks.append(chunk)
        return response.status_code, b"".join(chunks), response.headers


def feed_items_keep(*, feed: Feed, entries) -> int:
    """Keep the entries not kept before (by guid); returns how many were new."""
    items = [item for item in (_item(feed, entry) for entry in entries) if item is not None]
    known = set(FeedItem.objects.filter(feed=feed, guid__in=[item.guid for item in items]).values_list("guid", flat=True))
    fresh = {item.guid: item for item in items if item.guid not in known}
    FeedItem.objects.bulk_create(fresh.values(), ignore_conflicts=True)
    return len(fresh)


def feed_ingest(*, feed: Feed, content: bytes) -> int:
    """Keep the entries of a feed document already in hand (a recorded file for the demo)."""
    return feed_items_keep(feed=feed, entries=feedparser.parse(content).entries[:MAX_ITEMS_PER_POLL])


def _web_link(value) -> str:
    value = (value or "").strip()
    return value[:1000] if value.startswith(("https://", "http://")) else ""


def _plain(value, limit: int) -> str:
    """Feed HTML as plain text: tags dropped, entities read, whitespace folded."""
    return " ".join(html.unescape(strip_tags(value or "")).split())[:limit]


def _item(feed: Feed, entry) -> FeedItem | None:
    link = _web_link(entry.get("link"))
    title = _plain(entry.get("title"), 500)
    guid = (entry.get("id") or link or "").strip()[:500]
    if not guid:
        if not title:
            return None
        guid = "sha1:" + hashlib.sha1(title.encode()).hexdigest()
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    published_at = (datetime.datetime.fromtimestamp(calendar.timegm(moment), tz=datetime.UTC) if moment
                    else timezone.now())
    summary = entry.get("summary") or (entry.get("media_description") or "")
    thumbnails = entry.get("media_thumbnail") or []
    image_url = _web_link(thumbnails[0].get("url")) if thumbnails else ""
    return FeedItem(feed=feed, guid=guid, title=title, summary=_plain(summary, 2000), link=link, image_url=image_url,
                    published_at=min(published_at, timezone.now()))


@transaction.atomic
def _record_success(feed: Feed, at, *, etag: str, last_modified: str) -> None:
    feed.etag, feed.last_modified = etag[:255], last_modified[:64]
    feed.last_polled_at = feed.last_success_at = at
    feed.failures, feed.last_error = 0, ""
    feed.next_poll_at = at + datetime.timedelta(minutes=feed.poll_minutes)
    feed.save(update_fields=["etag", "last_modified", "last_polled_at", "last_success_at", "failures", "last_error",
                             "next_poll_at"])


@transaction.atomic
def _record_failure(feed: Feed, at, message: str) -> None:
    feed.failures += 1
    feed.last_polled_at, feed.last_error = at, message
    feed.next_poll_at = at + min(datetime.timedelta(minutes=feed.poll_minutes) * 2 ** feed.failures, MAX_BACK_OFF)
    feed.save(update_fields=["failures", "last_polled_at", "last_error", "next_poll_at"])


def feeds_poll_due(*, at=None, session: requests.Session | None = None) -> dict[int, PollResult]:
    """Poll every active feed whose time has come; {feed id: result}. Idempotent: a feed just polled
    is not due again until its next poll time."""
    session = session or requests.Session()
    results = {}
    for feed in Feed.objects.due(at).order_by("next_poll_at"):
        # Claimed first (compare and set on next_poll_at): two schedulers running at once never poll one feed twice.
        claim_until = timezone.now() + datetime.timedelta(seconds=CONNECT_TIMEOUT + TOTAL_TIMEOUT + 30)
        if Feed.objects.filter(pk=feed.pk, next_poll_at=feed.next_poll_at).update(next_poll_at=claim_until):
            results[feed.pk] = feed_poll(feed=feed, session=session)
    return results
