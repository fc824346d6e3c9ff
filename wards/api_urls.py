from django.urls import path

from wards import api

urlpatterns = [
    path("areas/lookup", api.AreaLookupView.as_view(), name="area-lookup"),
    path("wards/", api.WardCollectionView.as_view(), name="ward-collection"),
    path("municipalities/", api.MunicipalityListView.as_view(), name="municipality-list"),
]
