"""What an uploaded document or media file is, from its bytes (never its name), within the size
limit of its kind; images re-encoded without metadata with a thumbnail, PDFs' text read for search.

The checks issue media use (triage.media.files: `filetype` signatures, Pillow's full decode and
re-encode) do the work for images, audio and video; Office documents are ZIP containers told apart
by the parts inside them (a .docx holds word/document.xml, an .odt names its type in `mimetype`).
"""

import io
import logging
import zipfile
from dataclasses import dataclass, field

import filetype
import pypdf
from django.conf import settings
from django.utils.translation import gettext as _

from toolkit.uploads import ACCEPTED as MEDIA_ACCEPTED
from toolkit.uploads import SIGNATURE_BYTES, describe, human_size
from triage.media.files import MediaRefused, process_photo

logger = logging.getLogger(__name__)

# Bytes per kind; a deployment overrides any of them with IMBIZO["DOCUMENT_LIMITS"].
DEFAULT_LIMITS = {"pdf": 25 * 2**20, "office": 25 * 2**20, "image": 15 * 2**20, "audio": 50 * 2**20,
                  "video": 200 * 2**20}
# PDF text kept for search: a tsvector holds at most 1 MB, and a budget's first 300 pages say what it is about.
MAX_PDF_PAGES = 300
MAX_TEXT_CHARACTERS = 400_000

# Office documents: the part that tells each apart inside its ZIP container, and what we store.
OOXML_PARTS = {
    "word/document.xml": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/workbook.xml": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/presentation.xml": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}
ODF_TYPES = {
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
}
MEDIA_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "video/mp4": ".mp4",
                    "video/webm": ".webm", "audio/mpeg": ".mp3", "audio/ogg": ".ogg", "audio/mp4": ".m4a",
                    "audio/wav": ".wav", "application/pdf": ".pdf"}


def document_limits() -> dict[str, int]:
    return {**DEFAULT_LIMITS, **settings.IMBIZO.get("DOCUMENT_LIMITS", {})}


def kind_names() -> dict[str, str]:
    return {"pdf": _("PDF"), "office": _("Office document"), "image": _("image"), "audio": _("audio file"),
            "video": _("video")}


@dataclass
class CheckedFile:
    kind: str
    content_type: str
    extension: str
    data: bytes | None = None  # the re-encoded image; None: store the upload as it came
    thumbnail: bytes | None = None
    width: int | None = None
    height: int | None = None
    text: str = ""
    notes: list[str] = field(default_factory=list)


def check_document(upload) -> CheckedFile:
    """Read the upload's kind from its bytes, check its size, clean it; MediaRefused (field `file`)
    saying what was found otherwise."""
    upload.seek(0)
    head = upload.read(SIGNATURE_BYTES)
    upload.seek(0)
    if not head:
        raise MediaRefused(_("The file is empty."))
    checked = _office(upload, head) or _media(head)
    if checked is None:
        try:
            found = filetype.guess(head)
        except Exception:
            found = None
        raise MediaRefused(_("The file's content is %(found)s, whatever its name says; send a PDF, an Office "
                             "document (DOCX, XLSX, PPTX, ODT, ODS, ODP), an image (JPEG, PNG, WebP), audio "
                             "(MP3, OGG, M4A, WAV) or a video (MP4, WebM).") % {"found": describe(head, found)})
    limit = document_limits()[checked.kind]
    if upload.size > limit:
        raise MediaRefused(_("The file is %(size)s; a %(kind)s may be at most %(limit)s.") % {
            "size": human_size(upload.size), "kind": kind_names()[checked.kind], "limit": human_size(limit)})
    if checked.kind == "image":
        photo = process_photo(upload, checked.content_type)  # decoded for real, re-encoded bare
        checked.data, checked.thumbnail = photo.data, photo.thumbnail
        checked.width, checked.height = photo.width, photo.height
    elif checked.kind == "pdf":
        checked.text = pdf_text(upload)
    upload.seek(0)
    return checked


def _media(head: bytes) -> CheckedFile | None:
    try:
        found = filetype.guess(head)
    except Exception:  # a matcher tripping on odd bytes: unrecognised
        return None
    if found is None or found.mime not in MEDIA_ACCEPTED:
        return None
    kind, content_type = MEDIA_ACCEPTED[found.mime]
    if kind == "pdf" and not head.startswith(b"%PDF-"):
        return None
    return CheckedFile(kind=str(kind), content_type=content_type, extension=MEDIA_EXTENSIONS[content_type])


def _office(upload, head: bytes) -> CheckedFile | None:
    """An Office Open XML or OpenDocument file, by the parts its ZIP container holds."""
    if not head.startswith(b"PK\x03\x04"):
        return None
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            declared = archive.read("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        return None
    finally:
        upload.seek(0)
    if declared in ODF_TYPES and "content.xml" in names:
        return CheckedFile(kind="office", content_type=declared, extension=ODF_TYPES[declared])
    if "[Content_Types].xml" in names:
        for part, (content_type, extension) in OOXML_PARTS.items():
            if part in names:
                return CheckedFile(kind="office", content_type=content_type, extension=extension)
    return None


def pdf_text(upload) -> str:
    """The text of a PDF's pages (pypdf), for search: "" when it has none (a scan) or is encrypted."""
    upload.seek(0)
    try:
        reader = pypdf.PdfReader(io.BytesIO(upload.read()))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                return ""
        parts, total = [], 0
        for page in reader.pages[:MAX_PDF_PAGES]:
            text = page.extract_text() or ""
            parts.append(text)
            total += len(text)
            if total >= MAX_TEXT_CHARACTERS:
                break
    except Exception as exc:  # pypdf's errors for a damaged file are many kinds
        logger.info("PDF refused: %r", exc)
        raise MediaRefused(_("The file could not be read as a PDF: it is damaged or truncated.")) from None
    finally:
        upload.seek(0)
    return "\n".join(parts)[:MAX_TEXT_CHARACTERS].replace("\x00", "")
