"""Fixtures every app's tests share: the real reference data, imported the way a GIS analyst
would, the small hand-made files in fixtures/, and a headless Chromium for page tests."""

import os
from pathlib import Path

import pytest

from tests.support import import_lesedi_wards
from toolkit.fixtures import FIXTURES_DIR

# Playwright's sync API runs an event loop in the test thread; Django must still let the test
# thread use the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    from toolkit.conf import shared_data_dir

    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"the real reference data is not at {path} (set IMBIZO_SHARED_DATA to run this test)")
    return path


@pytest.fixture
def imbizo_settings(settings):
    """Change Imbizo's own settings for one test: `imbizo_settings(DELIVERY="worker")`."""

    def change(**values):
        settings.IMBIZO = {**settings.IMBIZO, **values}

    return change


@pytest.fixture(autouse=True)
def empty_shared_cache(request):
    """The shared cache (rate-limit counts) is a database table: tests that commit (live servers,
    threads) leave counts behind, so every test that uses the database starts with it empty."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if names & {"transactional_db", "live_server"} or (marker and marker.kwargs.get("transaction")):
        request.getfixturevalue("transactional_db")
    elif marker or "db" in names:
        request.getfixturevalue("db")
    else:
        return
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The top-level fixtures/ folder: small hand-made GIS files in gis/ (see fixtures/README.md)."""
    return FIXTURES_DIR


@pytest.fixture(scope="session")
def lesedi_wards_file(shared_data) -> Path:
    path = shared_data / "za_lesedi_wards_2011" / "lesedi_wards_2011.geojson"
    if not path.exists():
        pytest.skip(f"{path} is missing from the shared data")
    return path


@pytest.fixture
def lesedi(db, lesedi_wards_file):
    """The 13 real Lesedi (GT423) wards of 2011, imported with the analyst's command."""
    from wards.models import Municipality

    import_lesedi_wards(lesedi_wards_file)
    return Municipality.objects.get(code="GT423")


class PolicyWatchingBrowser:
    """The browser, each of whose contexts (every page test's) notes Content-Security-Policy violations:
    Chromium reports each as a console error."""

    def __init__(self, browser):
        self._browser = browser
        self.policy_violations: list[str] = []

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.on("console", self._note_violation)
        return context

    def _note_violation(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.policy_violations.append(message.text)

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"],
        )
        yield PolicyWatchingBrowser(browser)
        browser.close()


@pytest.fixture(autouse=True)
def no_content_security_policy_violations(request):
    """Every test that drives the browser fails on a Content-Security-Policy violation."""
    if "browser" not in request.fixturenames:
        yield
        return
    browser = request.getfixturevalue("browser")
    browser.policy_violations.clear()
    yield
    assert browser.policy_violations == [], "the pages broke their Content-Security-Policy"


@pytest.fixture
def offline_page(browser, live_server):
    """A page that may reach only the live test server: any other request fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    outside_requests: list[str] = []

    def only_local(route):
        url = route.request.url
        if url.startswith((live_server.url, "data:", "blob:")):
            route.continue_()
        else:
            outside_requests.append(url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.outside_requests = outside_requests
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.page_errors = page_errors
    yield page
    context.close()

# Real Celery workers and the tests' Redis for the tests of background work: `celery_workers`, `redis_queues`.
pytest_plugins = ["tests.background"]
