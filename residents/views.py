"""The resident's pages: profile (home and places on a map), area alerts, preferences. The map pages
read and write through the residents' API; the preferences are a plain form."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from residents import services
from residents.models import Preferences
from residents.selectors import municipality_of_request, place_areas
from toolkit.conf import imbizo_setting
from wards.models import Municipality, Suburb, Ward

resident_page = login_required(login_url="account_login")


def _municipality(request) -> Municipality | None:
    home = request.user.places.filter(is_home=True).first()
    if home is not None:
        found = Municipality.objects.covering(home.point).first()
        if found is not None:
            return found
    return municipality_of_request(request)


@resident_page
def profile(request):
    municipality = _municipality(request)
    return render(request, "residents/profile.html", {
        "municipality": municipality, "tile_url": imbizo_setting("TILE_URL"), "current": "profile",
        "places": place_areas(request.user.places.all()),
    })


@resident_page
def alerts_page(request):
    municipality = _municipality(request)
    return render(request, "residents/alerts.html", {
        "municipality": municipality, "tile_url": imbizo_setting("TILE_URL"), "current": "alerts",
        "wards": Ward.objects.current().filter(municipality=municipality).only("number", "code"),
        "suburbs": Suburb.objects.filter(municipality=municipality).only("name"),
        "places": request.user.places.all(),
        "alerts": request.user.alerts.select_related("ward", "suburb", "place"),
    })


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = Preferences
        fields = ["by_email", "by_sms", "my_issues", "area_alerts", "notices", "quiet_start", "quiet_end"]
        labels = {"by_email": _("By email"), "by_sms": _("By SMS"), "my_issues": _("Progress of my issues"),
                  "area_alerts": _("New issues in my alert areas"), "notices": _("The municipality's notices"),
                  "quiet_start": _("Quiet from (local time)"), "quiet_end": _("Quiet until")}
        help_texts = {"my_issues": _("Progress of the issues I reported or follow."),  # the model's are English only
                      "area_alerts": _("New issues in my alert areas."),
                      "notices": _("The municipality's notices for my places and areas.")}
        widgets = {"quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def clean(self):
        data = super().clean()
        if (data.get("quiet_start") is None) != (data.get("quiet_end") is None):
            self.add_error("quiet_end", _("Give both ends of the quiet hours, or neither."))
        return data


@resident_page
def preferences_page(request):
    preferences = services.preferences_of(request.user)
    form = PreferencesForm(request.POST or None, instance=preferences)
    if request.method == "POST" and form.is_valid():
        services.consents_follow_preferences(user=request.user, preferences=form.save())
        return redirect("resident-preferences")
    return render(request, "residents/preferences.html", {
        "form": form, "municipality": _municipality(request), "current": "preferences",
        "saved": request.method == "GET" and "saved" in request.GET})
