"""The directory's resident pages (contacts, documents and media, feeds) and file downloads."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.http import quote_etag
from django.utils.translation import gettext as _

from directory.models import Contact, Document, DocumentVersion, Feed, FeedItem
from directory.phones import phone_display
from directory.serializers import download_url, whatsapp_link
from directory.services.documents import document_version_count_download
from toolkit import ranges
from toolkit.admin import is_unscoped, municipality_of
from toolkit.conf import imbizo_setting
from wards.models import Municipality

PAGE_SIZE = 50


def contacts_page(request, code: str):
    """Search the contacts; click the map to see who serves a place."""
    municipality = get_object_or_404(Municipality, code=code)
    text = request.GET.get("q", "").strip()[:200]
    kind = request.GET.get("kind", "")
    contacts = Contact.objects.published().filter(municipality=municipality).select_related("ward__boundary_set")
    if kind in Contact.Kind.values:
        contacts = contacts.filter(kind=kind)
    else:
        kind = ""
    if text:
        contacts = contacts.search(text)
    else:
        contacts = contacts.exclude(kind=Contact.Kind.COMMITTEE_MEMBER).order_by("kind", "name")
    rows = [(contact, phone_display(contact.phone, country=municipality.country), whatsapp_link(contact.whatsapp))
            for contact in contacts[:PAGE_SIZE]]
    return render(request, "directory/contacts.html", {
        "municipality": municipality, "rows": rows, "q": text, "kind": kind, "kinds": Contact.Kind.choices,
        "tile_url": imbizo_setting("TILE_URL"), "current": "contacts",
    })


def documents_page(request, code: str):
    municipality = get_object_or_404(Municipality, code=code)
    text = request.GET.get("q", "").strip()[:200]
    category = request.GET.get("category", "")
    documents = Document.objects.published().filter(municipality=municipality).select_related("current_version").defer("text")
    if category in Document.Category.values:
        documents = documents.filter(category=category)
    else:
        category = ""
    documents = documents.search(text) if text else documents.order_by("-published_at", "pk")
    return render(request, "directory/documents.html", {
        "municipality": municipality, "documents": documents[:PAGE_SIZE], "q": text, "category": category,
        "categories": Document.Category.choices, "current": "documents",
    })


def document_page(request, code: str, pk: int):
    municipality = get_object_or_404(Municipality, code=code)
    document = get_object_or_404(
        Document.objects.published().filter(municipality=municipality).select_related("current_version").defer("text"), pk=pk)
    versions = list(document.versions.order_by("-number"))
    return render(request, "directory/document.html", {
        "municipality": municipality, "document": document, "version": document.current_version,
        "file_url": download_url(document.current_version), "versions": [(v, download_url(v)) for v in versions],
        "current": "documents",
    })


def feeds_page(request, code: str):
    municipality = get_object_or_404(Municipality, code=code)
    items = FeedItem.objects.filter(feed__municipality=municipality).select_related("feed").order_by("-published_at", "-pk")
    user = request.user
    is_own_staff = user.is_authenticated and user.is_staff and (is_unscoped(user) or municipality_of(user) == municipality.pk)
    active = Feed.objects.filter(municipality=municipality, is_active=True)
    stale = [feed for feed in active if feed.is_stale] if is_own_staff else []  # shown to its own staff only
    return render(request, "directory/feeds.html", {
        "municipality": municipality, "items": items[:PAGE_SIZE], "current": "feeds", "stale_feeds": stale,
    })


def may_see_unpublished(user, document: Document) -> bool:
    return bool(user.is_authenticated and user.is_staff
                and (is_unscoped(user) or municipality_of(user) == document.municipality_id))


def document_download(request, pk: int, number: int):
    """A version's file, with HTTP Range (video and audio seek); `?download=1` saves it instead of showing it.
    A document not published (or expired) is only for its municipality's staff."""
    version = get_object_or_404(DocumentVersion.objects.select_related("document"), document_id=pk, number=number)
    document = version.document
    if not Document.objects.published().filter(pk=pk).exists() and not may_see_unpublished(request.user, document):
        raise Http404(_("No published document has that number."))
    if request.method not in ("GET", "HEAD"):
        raise Http404
    response = ranges.ranged_response(
        request, open_file=lambda: version.file.open("rb"), size=version.file.size, content_type=version.content_type,
        etag=quote_etag(f"{version.pk}-{version.size}"), last_modified=version.uploaded_at.timestamp(),
        filename=f"{document.title[:80]} v{version.number}{version.extension}",
        as_attachment=request.GET.get("download") == "1",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=300"})
    from_the_start = response.status_code == 200 or response.get("Content-Range", "").startswith("bytes 0-")
    if request.method == "GET" and from_the_start:
        document_version_count_download(version=version)  # a seek (a later range) is not another download
    return response
