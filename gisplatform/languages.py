"""The languages residents can choose: which are offered (catalogues at least 80% translated), how
a choice is remembered (a cookie for everyone, Preferences.language for a resident who logs in),
and the coverage figures `manage.py translation_coverage` prints."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polib
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.i18n import JavaScriptCatalog
from django.views.i18n import set_language as django_set_language

DOMAINS = ("django", "djangojs")
# Strings of the staff pages carry this message context: they may stay English, so they are counted apart.
STAFF_CONTEXT = "staff"
# A language is offered once this share of its strings is translated (fuzzy ones do not count).
OFFERED_FROM_PERCENT = 80.0


@dataclass(frozen=True)
class Coverage:
    """Counts of the resident-facing strings; the staff pages' strings apart (staff_*)."""

    language: str
    total: int
    translated: int
    fuzzy: int
    staff_total: int = 0
    staff_translated: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 0.0

    @property
    def fuzzy_percent(self) -> float:
        return 100.0 * self.fuzzy / self.total if self.total else 0.0

    @property
    def staff_percent(self) -> float:
        return 100.0 * self.staff_translated / self.staff_total if self.staff_total else 100.0


def coverage(language: str) -> Coverage:
    """Translated and fuzzy strings of the language's catalogues (both domains) in LOCALE_PATHS."""
    total = translated = fuzzy = staff_total = staff_translated = 0
    for locale_dir in settings.LOCALE_PATHS:
        for domain in DOMAINS:
            path = Path(locale_dir) / language / "LC_MESSAGES" / f"{domain}.po"
            if not path.exists():
                continue
            entries = [entry for entry in polib.pofile(str(path)) if not entry.obsolete]
            staff = [entry for entry in entries if entry.msgctxt == STAFF_CONTEXT]
            staff_total += len(staff)
            staff_translated += sum(1 for entry in staff if entry.translated())
            entries = [entry for entry in entries if entry.msgctxt != STAFF_CONTEXT]
            total += len(entries)
            translated += sum(1 for entry in entries if entry.translated())
            fuzzy += sum(1 for entry in entries if entry.fuzzy)
    return Coverage(language, total, translated, fuzzy, staff_total, staff_translated)


@lru_cache(maxsize=1)
def offered_codes() -> tuple[str, ...]:
    """The default language, and every other language of LANGUAGES translated enough to offer."""
    default = translation.get_supported_language_variant(settings.LANGUAGE_CODE)
    return tuple(code for code, _ in settings.LANGUAGES
                 if code == default or coverage(code).percent >= OFFERED_FROM_PERCENT)


def offered_languages(request: HttpRequest) -> dict:
    """Context processor: the switcher's languages, each named in its own language."""
    return {"offered_languages": [translation.get_language_info(code) for code in offered_codes()]}


class PreferredLanguageMiddleware:
    """A resident who is logged in and has no language cookie (a new device) gets the language
    saved in their preferences. Runs after AuthenticationMiddleware, before any view. Staff are
    not residents: their pages cost no query for it (the cookie serves them)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and user.is_authenticated and not user.is_staff:
            preferences = getattr(user, "preferences", None)
            if preferences is not None and preferences.language in offered_codes():
                translation.activate(preferences.language)
                request.LANGUAGE_CODE = preferences.language
        return self.get_response(request)


@cache_control(max_age=3600, public=True)
def javascript_catalog(request: HttpRequest):
    """Django's JavaScript catalogue in the language its URL names (?l=zu), whatever the request's own
    language: the service worker caches one file per language, fetched with the resident's cookie."""
    code = request.GET.get("l", "")
    if code in offered_codes():
        with translation.override(code):
            return JavaScriptCatalog.as_view()(request)
    return JavaScriptCatalog.as_view()(request)


def set_language(request: HttpRequest):
    """Django's set_language (a cookie, then back to `next`), which also keeps a logged-in
    resident's choice in their preferences so that their other devices follow it."""
    response = django_set_language(request)
    code = request.POST.get("language", "")
    if request.method == "POST" and code in offered_codes() and request.user.is_authenticated:
        from residents.models import Preferences

        Preferences.objects.update_or_create(user=request.user, defaults={"language": code})
    return response
