from directory.models.contacts import Contact, ContactQuerySet  # noqa: F401
from directory.models.documents import Document, DocumentQuerySet, DocumentVersion  # noqa: F401
from directory.models.feeds import Feed, FeedItem  # noqa: F401
