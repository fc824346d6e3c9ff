from django.urls import path

from assets import api

urlpatterns = [
    path("facilities/nearest", api.NearestFacilitiesView.as_view(), name="facility-nearest"),
    path("facilities/", api.FacilityCollectionView.as_view(), name="facility-collection"),
    path("facility-types/", api.FacilityTypeListView.as_view(), name="facility-type-list"),
    path("assets/nearest", api.NearestAssetView.as_view(), name="asset-nearest"),
]
