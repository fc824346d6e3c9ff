"""The directory's REST API: contacts (search, "who serves here"), documents, feed items."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from directory.models import Contact, Document, FeedItem
from directory.serializers import ContactSerializer, DocumentDetailSerializer, DocumentSerializer, FeedItemSerializer
from toolkit.api import LAT_LON_PARAMETERS, NumberParameter, bad_parameter, parse_point
from toolkit.params import shown
from wards.models import Municipality, Ward

LIMIT = NumberParameter("limit", 1, 200, default=50, description="At most this many (default 50).")
FEED_LIMIT = NumberParameter("limit", 1, 100, default=30, description="At most this many (default 30).")
MUNICIPALITY = OpenApiParameter("municipality", str, description="Municipality code, e.g. GT423.")
SEARCH = OpenApiParameter("q", str, description="Words or a name, misspelt or not; best matches first.")
CONTACT_RELATED = ("municipality", "ward__boundary_set")
# Never shown: the search vector and the service area (a polygon of any size) stay in the database.
CONTACT_UNSHOWN = ("search", "service_area")
DOCUMENT_RELATED = ("municipality", "current_version")


def municipality_filter(params, *, required: bool = False) -> Municipality | None:
    code = params.get("municipality", "").strip()
    if not code:
        if required:
            raise bad_parameter("municipality", _("This parameter is required."))
        return None
    municipality = Municipality.objects.filter(code=code).first()
    if municipality is None:
        raise bad_parameter("municipality", _("No municipality has the code '%(code)s'.") % {"code": shown(code)})
    return municipality


def choice_filter(params, name: str, choices) -> str | None:
    value = params.get(name, "").strip()
    if value and value not in choices.values:
        raise bad_parameter(name, _("'%(value)s' is not one of: %(known)s.") % {
            "value": shown(value), "known": ", ".join(choices.values)})
    return value or None


def ward_filter(params, municipality: Municipality | None) -> Ward | None:
    """?ward= a ward number of the municipality's current demarcation, or a ward code."""
    raw = params.get("ward", "").strip()
    if not raw:
        return None
    wards = Ward.objects.current()
    if raw.isdigit() and len(raw) <= 3:
        if municipality is None:
            raise bad_parameter("ward", _("A ward number needs the municipality parameter (or give the ward code)."))
        ward = wards.filter(municipality=municipality, number=int(raw)).first()
    else:
        ward = wards.filter(code=raw, **({"municipality": municipality} if municipality else {})).first()
    if ward is None:
        raise bad_parameter("ward", _("No current ward is '%(ward)s'.") % {"ward": shown(raw)})
    return ward


class ContactListView(APIView):
    """Contacts of a municipality: search by name, role or words (misspelt names too), filter by kind
    and by ward (its councillor and committee, and the contacts that serve it)."""

    @extend_schema(
        parameters=[MUNICIPALITY, SEARCH,
                    OpenApiParameter("kind", str, enum=Contact.Kind.values, description="Kind of contact."),
                    OpenApiParameter("ward", str, description="Ward number (with municipality) or ward code."),
                    LIMIT.openapi()],
        responses={200: ContactSerializer(many=True)},
    )
    def get(self, request):
        params = request.query_params
        municipality = municipality_filter(params)
        kind = choice_filter(params, "kind", Contact.Kind)
        ward = ward_filter(params, municipality)
        limit = LIMIT.parse(params)
        contacts = Contact.objects.published().select_related(*CONTACT_RELATED).defer(*CONTACT_UNSHOWN)
        if municipality:
            contacts = contacts.filter(municipality=municipality)
        if kind:
            contacts = contacts.filter(kind=kind)
        if ward:
            contacts = contacts.filter(Q(ward=ward) | Q(pk__in=Contact.wards_served.through.objects.filter(
                ward=ward).values("contact_id")))
        if text := params.get("q", "").strip()[:200]:
            contacts = contacts.search(text)
        else:
            contacts = contacts.order_by("kind", "name", "pk")
        return Response(ContactSerializer(contacts[:limit], many=True).data)


WHO_SERVES_HERE = inline_serializer("WhoServesHere", {
    "municipality": inline_serializer("HereMunicipality", {"code": serializers.CharField(), "name": serializers.CharField()}),
    "ward": inline_serializer("HereWard", {"number": serializers.IntegerField(), "code": serializers.CharField(),
                                           "year": serializers.IntegerField()}, allow_null=True),
    "suburb": inline_serializer("HereSuburb", {"name": serializers.CharField(), "code": serializers.CharField()},
                                allow_null=True),
    "councillor": ContactSerializer(allow_null=True),
    "committee": ContactSerializer(many=True),
    "contacts": ContactSerializer(many=True),
})


class WhoServesHereView(APIView):
    """From a point: the municipality, the current ward there (on a shared edge, the lowest ward number),
    its councillor and ward committee, and the contacts whose wards, suburbs or service area cover it."""

    @extend_schema(
        parameters=LAT_LON_PARAMETERS,
        responses={200: WHO_SERVES_HERE,
                   400: OpenApiResponse(description="Malformed or out-of-range coordinates, named."),
                   404: OpenApiResponse(description="The point is outside every municipality.")},
    )
    def get(self, request):
        point = parse_point(request.query_params)
        match = (Municipality.objects.covering(point).with_areas_at(point)
                 .values("pk", "code", "name", "ward_at", "suburb_at").first())
        if match is None:
            raise NotFound(_("The point %(lat).6f, %(lon).6f (lat, lon) is outside every municipality we serve.")
                           % {"lat": point.y, "lon": point.x})
        ward, suburb = match["ward_at"], match["suburb_at"]
        found = list(Contact.objects.published().filter(municipality_id=match["pk"])
                     .who_serves(point, ward_id=ward["id"] if ward else None)
                     .select_related(*CONTACT_RELATED).defer(*CONTACT_UNSHOWN).order_by("kind", "name", "pk"))
        ward_id = ward["id"] if ward else None
        councillors = [c for c in found if c.kind == Contact.Kind.COUNCILLOR and c.ward_id == ward_id]
        committee = [c for c in found if c.kind == Contact.Kind.COMMITTEE_MEMBER and c.ward_id == ward_id]
        others = [c for c in found if c not in councillors and c not in committee]
        return Response({
            "municipality": {"code": match["code"], "name": match["name"]},
            "ward": {key: ward[key] for key in ("number", "code", "year")} if ward else None,
            "suburb": {key: suburb[key] for key in ("name", "code")} if suburb else None,
            "councillor": ContactSerializer(councillors[0]).data if councillors else None,
            "committee": ContactSerializer(committee, many=True).data,
            "contacts": ContactSerializer(others, many=True).data,
        })


class DocumentListView(APIView):
    """Published documents and media: search their titles, descriptions, tags and the text inside PDFs."""

    @extend_schema(
        parameters=[MUNICIPALITY, SEARCH,
                    OpenApiParameter("category", str, enum=Document.Category.values, description="Category."),
                    OpenApiParameter("tag", str, description="Only documents with this tag."),
                    LIMIT.openapi()],
        responses={200: DocumentSerializer(many=True)},
    )
    def get(self, request):
        params = request.query_params
        municipality = municipality_filter(params)
        category = choice_filter(params, "category", Document.Category)
        limit = LIMIT.parse(params)
        documents = Document.objects.published().select_related(*DOCUMENT_RELATED)
        if municipality:
            documents = documents.filter(municipality=municipality)
        if category:
            documents = documents.filter(category=category)
        if tag := params.get("tag", "").strip():
            documents = documents.filter(tags__contains=[tag[:40]])
        if text := params.get("q", "").strip()[:200]:
            documents = documents.search(text)
        else:
            documents = documents.order_by("-published_at", "pk")
        return Response(DocumentSerializer(documents.defer("text")[:limit], many=True).data)


class DocumentDetailView(APIView):
    """One published document with its download URL and every version (the newest first)."""

    @extend_schema(responses={200: DocumentDetailSerializer})
    def get(self, request, pk: int):
        document = get_object_or_404(Document.objects.published().select_related(*DOCUMENT_RELATED).defer("text"), pk=pk)
        return Response(DocumentDetailSerializer(document).data)


class FeedItemListView(APIView):
    """The latest items of a municipality's social feeds, newest first, each linking to its source."""

    @extend_schema(parameters=[MUNICIPALITY, FEED_LIMIT.openapi()], responses={200: FeedItemSerializer(many=True)})
    def get(self, request):
        params = request.query_params
        municipality = municipality_filter(params)
        limit = FEED_LIMIT.parse(params)
        items = FeedItem.objects.select_related("feed").order_by("-published_at", "-pk")
        if municipality:
            items = items.filter(feed__municipality=municipality)
        return Response(FeedItemSerializer(items[:limit], many=True).data)
