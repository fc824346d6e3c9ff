"""The resident pages in English, Afrikaans, isiZulu and Sesotho: Accept-Language, the switcher and
its cookie, a resident's saved language, the JavaScript catalogue, plural rules and the coverage
command."""

import io
import re
import shutil

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from accounts.models import User
from gisplatform import languages
from residents.models import Preferences
from triage.intake import services as intake
from triage.issues.views import duration_words
from triage.tests.conftest import HEIDELBERG, dispatcher, roads, streetlight_out, streetlights  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_afterwards():
    """The test client's requests activate languages in this thread: later tests start in English."""
    yield
    translation.deactivate()

# What a resident of each language reads in the menu, and one sentence of each page's own text.
MENU_REPORT = {"af": "Meld 'n probleem aan", "zu": "Bika inkinga", "st": "Tlaleha bothata", "xh": "Xela ingxaki"}
PAGE_TEXT = {
    "home": {"af": "Hier meld inwoners probleme", "zu": "Yilapha izakhamuzi zibikela", "st": "Mona ke moo baahi",
             "xh": "Apha ngapha abahlali"},
    "report": {"af": "1. Waar is dit?", "zu": "1. Ikuphi?", "st": "1. E kae?", "xh": "1. Iphi?"},
    "track lookup": {"af": "Verwysingsnommer", "zu": "Inombolo yereferensi", "st": "Nomoro ya tshupiso",
                     "xh": "Inombolo yesalathiso"},
    "track": {"af": "Geskiedenis", "zu": "Umlando", "st": "Nalane", "xh": "Imbali"},
    "near me": {"af": "Fasiliteite naby jou", "zu": "Izikhungo eziseduze kwakho", "st": "Disebediswa tsa setjhaba haufi le wena",
                "xh": "Iindawo zoluntu ezikufuphi nawe"},
}


@pytest.fixture
def pages(lesedi, request):
    category = request.getfixturevalue("streetlight_out")  # triage's fixture, imported above
    issue = intake.issue_create(report=intake.Report(category=category, location=HEIDELBERG)).issue
    return {"home": "/", "report": "/m/GT423/report/", "track lookup": "/track/", "track": f"/track/{issue.reference}/",
            "near me": "/m/GT423/near/"}


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


@pytest.mark.parametrize("language", ["af", "zu", "st", "xh"])
def test_accept_language_gives_the_page_in_that_language(pages, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=f"{language},en;q=0.5")
    for name, url in pages.items():
        response = client.get(url)
        html = response.content.decode()
        assert html_lang(html) == language, name
        assert response["Content-Language"] == language
        assert MENU_REPORT[language] in html, name
        assert PAGE_TEXT[name][language] in html, name
        assert "Report an issue" not in html, name


def test_english_stays_the_default(pages):
    html = Client().get("/m/GT423/report/").content.decode()
    assert html_lang(html) == "en"
    assert "1. Where is it?" in html


def test_the_switcher_changes_the_language_and_keeps_it(pages):
    client = Client(HTTP_ACCEPT_LANGUAGE="af")
    html = client.get("/m/GT423/report/").content.decode()
    assert '<option value="st" lang="st">Sesotho</option>' in html
    response = client.post("/i18n/setlang/", {"language": "st", "next": "/m/GT423/report/"})
    assert response.status_code == 302 and response["Location"] == "/m/GT423/report/"
    assert response.cookies["imbizo_language"].value == "st"
    for url in pages.values():  # the cookie outranks the browser's Accept-Language
        assert html_lang(client.get(url).content.decode()) == "st"
    html = client.get("/track/").content.decode()
    assert '<option value="st" lang="st" selected>Sesotho</option>' in html


def test_a_residents_choice_follows_them_to_another_device(pages):
    resident = User.objects.create_user(email="thandi@example.org", password="a long pass phrase")
    phone = Client()
    phone.force_login(resident)
    phone.post("/i18n/setlang/", {"language": "zu", "next": "/"})
    assert Preferences.objects.get(user=resident).language == "zu"
    laptop = Client(HTTP_ACCEPT_LANGUAGE="en")  # a new device: no cookie, an English browser
    laptop.force_login(resident)
    assert html_lang(laptop.get("/m/GT423/report/").content.decode()) == "zu"


def test_scripts_read_their_strings_from_the_catalogue_file(db):
    response = Client(HTTP_ACCEPT_LANGUAGE="zu").get("/jsi18n/?l=zu")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert "Thumela umbiko" in body or "Kuthunyelwa umbiko wakho" in body
    assert "(n > 1)" in body  # isiZulu's plural rule travels with the catalogue
    # The file's language is the one its URL names (the service worker caches one per language).
    sesotho = Client(HTTP_ACCEPT_LANGUAGE="en").get("/jsi18n/?l=st").content.decode()
    assert "Kgetha sehlopha" in sesotho and "Khetha isigaba" not in sesotho


def test_plural_rules_follow_each_language():
    with translation.override("zu"):  # CLDR: 0 and 1 are singular in isiZulu
        assert duration_words(60) == "umzuzu o-1"
        assert translation.ngettext("%(count)d day", "%(count)d days", 0) % {"count": 0} == "usuku olu-0"
    with translation.override("st"):
        assert translation.ngettext("%(count)d day", "%(count)d days", 0) % {"count": 0} == "matsatsi a 0"
    with translation.override("af"):
        assert duration_words(2 * 86400 + 3600) == "2 dae 1 uur"
    with translation.override("xh"):
        assert duration_words(2 * 86400 + 3600) == "iintsuku ezi-2 iyure e-1"


def test_a_wrong_answer_is_explained_in_the_residents_language(lesedi, request):
    category = request.getfixturevalue("streetlight_out")
    category.questions.create(code="poles", prompt="How many poles?", datatype="number", required=True)
    answer = Client(HTTP_ACCEPT_LANGUAGE="af").post(
        "/api/v1/issues", {"category": category.id, "lat": HEIDELBERG.y, "lon": HEIDELBERG.x, "answers": {"poles": "baie"}},
        content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["answers.poles"] == ["'baie' is nie 'n getal nie."]


def test_the_coverage_command_prints_each_languages_share():
    out = io.StringIO()
    call_command("translation_coverage", stdout=out)
    lines = {line.split()[0]: line for line in out.getvalue().splitlines()[1:]}
    assert set(lines) == {"en", "af", "zu", "st", "xh"}
    for code in ("af", "zu", "st", "xh"):
        figures = languages.coverage(code)
        assert figures.total > 200
        assert figures.staff_total > 20  # the staff pages' strings (the planners' PDF), counted apart
        assert f"{figures.percent:.1f}%" in lines[code]
        assert f"{figures.fuzzy_percent:.1f}%" in lines[code]
        assert "yes" in lines[code]


def test_a_language_under_80_percent_is_not_offered(settings, tmp_path, lesedi):
    for code in ("af", "zu", "st", "xh"):
        shutil.copytree(settings.LOCALE_PATHS[0] / code, tmp_path / code)
    import polib

    catalogue = polib.pofile(str(tmp_path / "st" / "LC_MESSAGES" / "django.po"))
    resident = [entry for entry in catalogue if entry.msgctxt != "staff"]
    for entry in resident[: len(resident) // 3]:  # a third of Sesotho's strings lose their translation
        entry.msgstr = ""
    catalogue.save()
    settings.LOCALE_PATHS = [tmp_path]
    languages.offered_codes.cache_clear()
    try:
        assert languages.coverage("st").percent < 80
        html = Client().get("/m/GT423/report/").content.decode()
        assert 'value="zu"' in html and 'value="st"' not in html
        out = io.StringIO()
        call_command("translation_coverage", stdout=out)
        assert re.search(r"^st .* no \(under 80%\)", out.getvalue(), re.M)
    finally:
        languages.offered_codes.cache_clear()


def test_category_names_and_questions_in_the_residents_language_else_the_municipalitys(lesedi, request):
    category = request.getfixturevalue("streetlight_out")
    category.translations = {"zu": {"name": "Isibani somgwaqo asikhanyi", "group": "Izibani"}}
    category.save()
    question = category.questions.create(code="since", prompt="Since when?", datatype="singlevaluelist",
                                         choices=[{"key": "today", "name": "Today"}, {"key": "week", "name": "A week"}],
                                         translations={"zu": {"prompt": "Kusukela nini?", "choices": {"today": "Namuhla"}}})
    question.category.questions.create(code="safe", prompt="Is it safe?", datatype="yesno", order=1)

    def listed(language: str) -> dict:
        answer = Client(HTTP_ACCEPT_LANGUAGE=language).get("/api/v1/categories?municipality=GT423").json()
        return next(c for c in answer if c["id"] == category.id)

    zulu = listed("zu")
    assert zulu["name"] == "Isibani somgwaqo asikhanyi" and zulu["group"] == "Izibani"
    since, safe = zulu["questions"]
    assert since["prompt"] == "Kusukela nini?"
    assert since["choices"] == [{"key": "today", "name": "Namuhla"}, {"key": "week", "name": "A week"}]  # one not translated
    assert safe["choices"] == [{"key": "yes", "name": "Yebo"}, {"key": "no", "name": "Cha"}]
    sesotho = listed("st")  # nothing stored in Sesotho: the municipality's own text
    assert sesotho["name"] == category.name and sesotho["questions"][0]["prompt"] == "Since when?"
    html = Client(HTTP_ACCEPT_LANGUAGE="zu").get("/m/GT423/issues/").content.decode()
    assert '<optgroup label="Izibani">' in html and "Isibani somgwaqo asikhanyi</option>" in html


def test_stored_translations_name_only_the_sites_languages(lesedi, request):
    from django.core.exceptions import ValidationError

    category = request.getfixturevalue("streetlight_out")
    category.translations = {"fr": {"name": "Lampadaire"}}
    with pytest.raises(ValidationError, match="fr"):
        category.full_clean()


def test_a_status_update_reaches_each_follower_in_their_language(lesedi, request):
    from notices.models import OutboundMessage
    from triage.issues import services
    from triage.issues.models import Follower
    from triage.issues.workflow import Status

    category = request.getfixturevalue("streetlight_out")
    lesedi.default_language = "st"
    lesedi.save()
    issue = intake.issue_create(report=intake.Report(category=category, location=HEIDELBERG)).issue
    zulu = User.objects.create_user(email="sipho@example.org", password="a long pass phrase")
    Preferences.objects.create(user=zulu, language="zu")
    Follower.objects.create(issue=issue, user=zulu, created_at=issue.created_at, confirmed_at=issue.created_at)
    Follower.objects.create(issue=issue, email="anon@example.org", created_at=issue.created_at,
                            confirmed_at=issue.created_at)
    services.issue_transition(issue=issue, to_status=Status.ACKNOWLEDGED, actor=request.getfixturevalue("dispatcher"))
    subjects = dict(OutboundMessage.objects.values_list("address", "subject"))
    assert subjects["sipho@example.org"].endswith("umbiko wakho wamukelwe")
    assert subjects["anon@example.org"].endswith("tlaleho ya hao e amohetswe")  # the municipality's default language


def test_an_update_reads_its_recipients_languages_in_one_query(lesedi, request):
    """However many follow, one query reads their preferences and one INSERT queues their messages,
    each in its reader's language with its own link."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notices.models import OutboundMessage
    from triage.issues import services
    from triage.issues.models import Follower

    category = request.getfixturevalue("streetlight_out")
    staff = request.getfixturevalue("dispatcher")
    issue = intake.issue_create(report=intake.Report(category=category, location=HEIDELBERG,
                                                     reporter_email="reporter@example.org")).issue

    def follow(count: int, language: str) -> None:
        for _ in range(count):
            user = User.objects.create_user(email=f"{language}{User.objects.count()}@example.org", password="a long pass phrase")
            Preferences.objects.create(user=user, language=language)
            Follower.objects.create(issue=issue, user=user, created_at=issue.created_at, confirmed_at=issue.created_at)

    def comment(body: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            services.issue_comment_add(issue=issue, body=body, author=staff)
        return [query["sql"] for query in captured.captured_queries]

    follow(1, "zu")
    comment("First")  # the first also fills the per-process caches (permissions)
    few = comment("Again")
    follow(3, "af")
    follow(2, "xh")
    many = comment("Second")
    assert len(many) == len(few)
    assert sum('"residents_preferences"' in sql for sql in many) == 1
    assert sum(sql.startswith('INSERT INTO "notices_outboundmessage"') for sql in many) == 1
    second = OutboundMessage.objects.filter(topic=f"issue:{issue.reference}", body__contains="Second")
    assert second.count() == 7  # the reporter and six followers
    links = {re.search(r"/act/\S+/", message.body).group(0) for message in second}
    assert len(links) == 7
    said = {message.address[:2]: message.subject for message in second}
    assert said["zu"].startswith(f"{issue.reference}: amazwana amasha avela ku-")
    assert said["af"].startswith(f"{issue.reference}: nuwe kommentaar van ")
    assert said["xh"].startswith(f"{issue.reference}: izimvo ezintsha ezivela ku-")
    assert said["re"].startswith(f"{issue.reference}: new comment from")  # the reporter: the municipality's language
