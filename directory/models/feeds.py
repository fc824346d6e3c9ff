"""The municipality's public social feeds (a Facebook page, X, a YouTube channel, Instagram or any
RSS/Atom URL), polled on a schedule and kept as items, so a page reads only the database and a feed
that is down never holds one up."""

from django.contrib.gis.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FeedQuerySet(models.QuerySet):
    def due(self, at=None) -> "FeedQuerySet":
        """Active feeds whose next poll time has come (failing feeds wait longer: back-off)."""
        return self.filter(is_active=True, next_poll_at__lte=at or timezone.now())


class Feed(models.Model):
    class Kind(models.TextChoices):
        RSS = "rss", _("RSS or Atom")
        FACEBOOK = "facebook", _("Facebook")
        X = "x", _("X (Twitter)")
        YOUTUBE = "youtube", _("YouTube")
        INSTAGRAM = "instagram", _("Instagram")

    municipality = models.ForeignKey("wards.Municipality", on_delete=models.CASCADE, related_name="feeds",
                                     verbose_name=_("municipality"))
    title = models.CharField(_("title"), max_length=160)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.RSS)
    url = models.URLField(_("feed URL"), max_length=500, help_text=_("The RSS or Atom address of the feed."))
    site_url = models.URLField(_("page address"), max_length=500, blank=True)
    is_active = models.BooleanField(_("polled"), default=True)
    poll_minutes = models.PositiveIntegerField(_("poll every (minutes)"), default=30)
    # Conditional GET: what the server said last time, sent back so an unchanged feed costs a 304.
    etag = models.CharField(max_length=255, blank=True, editable=False)
    last_modified = models.CharField(max_length=64, blank=True, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(_("last read"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0, editable=False)
    next_poll_at = models.DateTimeField(_("next poll"), default=timezone.now, editable=False)
    is_generated = models.BooleanField(default=False, help_text=_("Demo data made by load_demo."))

    objects = FeedQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "title"]
        verbose_name = _("feed")
        verbose_name_plural = _("feeds")
        constraints = [models.UniqueConstraint(fields=["municipality", "url"], name="feed_url_unique_per_municipality")]
        indexes = [models.Index(fields=["is_active", "next_poll_at"], name="feed_due")]

    def __str__(self):
        return self.title

    @property
    def is_stale(self) -> bool:
        """Failing, or not read for three poll intervals: staff should look at it."""
        if self.failures:
            return True
        if self.last_success_at is None:
            return self.is_active and self.last_polled_at is not None
        return timezone.now() - self.last_success_at > timezone.timedelta(minutes=3 * self.poll_minutes)


class FeedItem(models.Model):
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="items")
    # The entry's id in the feed (its guid, Atom id or, lacking both, its link): the key against repeats.
    guid = models.CharField(max_length=500)
    title = models.CharField(_("title"), max_length=500, blank=True)
    summary = models.TextField(_("summary"), blank=True, help_text=_("Plain text: the feed's HTML is never shown."))
    link = models.URLField(_("link"), max_length=1000, blank=True)
    image_url = models.URLField(max_length=1000, blank=True)
    published_at = models.DateTimeField(_("published"))
    fetched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("feed item")
        constraints = [models.UniqueConstraint(fields=["feed", "guid"], name="feed_item_once_per_feed")]
        indexes = [models.Index(fields=["feed", "-published_at"], name="feed_item_latest")]

    def __str__(self):
        return self.title or self.link
