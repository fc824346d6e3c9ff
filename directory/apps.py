from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _

# pg_trgm's word-similarity threshold for the `%>` operator the searches filter with (GIN-indexed): the
# default 0.6 misses one wrong letter in a five-letter name ("Nkozi" for "Nkosi" scores 0.5).
WORD_SIMILARITY_THRESHOLD = 0.45


def set_trigram_threshold(sender, connection, **kwargs):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET pg_trgm.word_similarity_threshold = %s", [WORD_SIMILARITY_THRESHOLD])


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = _("Directory: contacts, documents and feeds")

    def ready(self):
        connection_created.connect(set_trigram_threshold, dispatch_uid="imbizo-directory-trigram-threshold")
