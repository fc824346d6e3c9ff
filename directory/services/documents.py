"""Documents and their versions: every file goes through the content checks of directory.files."""

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from directory.files import check_document
from directory.models import Document, DocumentVersion


@transaction.atomic
def document_create(*, municipality, category: str, title: str, upload, description: str = "", tags=(),
                    published_at=None, expires_at=None, is_published: bool = True, uploaded_by=None,
                    note: str = "", is_generated: bool = False) -> Document:
    """A new document with its first version. Raises MediaRefused (field `file`) for a file that is
    not what it should be, before anything is kept."""
    document = Document.objects.create(
        municipality=municipality, category=category, title=title, description=description,
        tags=[tag.strip() for tag in tags if tag.strip()], published_at=published_at or timezone.now(),
        expires_at=expires_at, is_published=is_published, is_generated=is_generated)
    document_version_add(document=document, upload=upload, uploaded_by=uploaded_by, note=note)
    return document


@transaction.atomic
def document_version_add(*, document: Document, upload, uploaded_by=None, note: str = "") -> DocumentVersion:
    """Add a file as the document's newest version, which supersedes the current one (that stays
    reachable with its own number). Locks the document row: two uploads at once get 1 and 2."""
    checked = check_document(upload)
    Document.objects.select_for_update().filter(pk=document.pk).get()
    number = (document.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = DocumentVersion(
        document=document, number=number, kind=checked.kind, content_type=checked.content_type,
        extension=checked.extension, size=len(checked.data) if checked.data is not None else upload.size,
        original_name=(getattr(upload, "name", "") or "").rsplit("/", 1)[-1][:200], note=note,
        text=checked.text, width=checked.width, height=checked.height, uploaded_by=uploaded_by)
    content = ContentFile(checked.data) if checked.data is not None else File(upload)
    version.file.save(f"v{number}{checked.extension}", content, save=False)
    if checked.thumbnail:
        version.thumbnail.save(f"{document.pk}-v{number}.jpg", ContentFile(checked.thumbnail), save=False)
    version.save()
    Document.objects.filter(pk=document.pk).update(current_version=version, text=checked.text, updated_at=timezone.now())
    document.current_version, document.text = version, checked.text
    return version


def document_version_count_download(*, version: DocumentVersion) -> None:
    """One more download, counted in the database (concurrent downloads all count)."""
    DocumentVersion.objects.filter(pk=version.pk).update(download_count=F("download_count") + 1)
