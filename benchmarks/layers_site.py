"""The platform plus one benchmark-only view, served by granian in benchmarks/layers.py: the issues
layer's page (limit 100 + bbox, public issues, the published fields, ordered by reference) written the
usual DRF way, with drf-gis's GeoFeatureModelSerializer, to compare with the SQL-built OGC items.

Never part of the app: granian loads `benchmarks.layers_site:application` only in the benchmark.
"""

import os

from django.urls import include, path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gisplatform.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.gis.geos import Polygon  # noqa: E402
from rest_framework import generics, serializers  # noqa: E402
from rest_framework.exceptions import ParseError  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework_gis.serializers import GeoFeatureModelSerializer  # noqa: E402

from layers.published.issues import public_issues  # noqa: E402
from triage.issues.models import Issue  # noqa: E402


class IssueFeatureSerializer(GeoFeatureModelSerializer):
    category = serializers.CharField(source="category.code")
    category_name = serializers.CharField(source="category.name")
    municipality = serializers.CharField(source="municipality.code")
    ward = serializers.IntegerField(source="ward.number", allow_null=True)

    class Meta:
        model = Issue
        geo_field = "location"
        id_field = "reference"
        fields = ("reference", "status", "category", "category_name", "kind", "municipality", "ward", "created_at",
                  "updated_at", "resolved_at", "upvotes")


class IssuePage(generics.ListAPIView):
    serializer_class = IssueFeatureSerializer
    permission_classes = ()
    authentication_classes = ()

    def get_queryset(self):
        rows = public_issues().select_related("category", "municipality", "ward").defer(
            "municipality__boundary", "ward__geom").order_by("reference")
        raw = self.request.query_params.get("bbox")
        if raw:
            try:
                rows = rows.filter(location__intersects=Polygon.from_bbox([float(part) for part in raw.split(",")]))
            except ValueError:
                raise ParseError(f"Invalid bbox string supplied for parameter bbox: {raw}") from None
        return rows[:100]

    def list(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_queryset(), many=True).data)


urlpatterns = [
    path("bench/drf-gis/issues", IssuePage.as_view()),
    path("", include("gisplatform.urls")),
]
settings.ROOT_URLCONF = __name__

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
