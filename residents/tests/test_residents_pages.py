"""The resident's pages: behind a log-in, in the site's layout, the places' wards derived at read time."""

import pytest

from residents.models import Place, Preferences
from residents.tests.conftest import inside_ward

pytestmark = pytest.mark.shared_data


@pytest.mark.parametrize("path", ["/me/", "/me/alerts/", "/me/preferences/"])
def test_pages_need_a_log_in(client, db, path):
    answer = client.get(path)
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")


def test_the_profile_shows_each_places_ward(lesedi, lesedi_features, resident_client, resident):
    Place.objects.create(user=resident, name="Home", is_home=True, point=inside_ward(lesedi_features, 7),
                         address="3 Private Lane")
    page = resident_client.get("/me/").content.decode()
    assert "Ward 7" in page and "3 Private Lane" in page and 'data-municipality="GT423"' in page


def test_the_alerts_page_lists_the_current_wards(lesedi, resident_client):
    page = resident_client.get("/me/alerts/").content.decode()
    assert page.count('<option value="742030') == 13


def test_quiet_hours_are_saved_from_the_form(resident_client, resident):
    answer = resident_client.post("/me/preferences/", {"by_email": "on", "area_alerts": "on", "quiet_start": "21:00",
                                                       "quiet_end": "06:00"})
    assert answer.status_code == 302
    preferences = Preferences.objects.get(user=resident)
    assert (preferences.by_sms, str(preferences.quiet_start), str(preferences.quiet_end)) == (False, "21:00:00", "06:00:00")
    half = resident_client.post("/me/preferences/", {"quiet_start": "21:00"})
    assert half.status_code == 200 and "Give both ends" in half.content.decode()
