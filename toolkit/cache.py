"""The cache every worker process shares (settings.CACHES, from CACHE_URL).

Rate-limit counters (toolkit.ratelimit) are incremented by every worker process and thread at once.
Redis and memcached increment atomically; Django's database cache reads, adds and writes back,
so two workers counting at the same moment lose one count, and the write resets the key's expiry
to the default timeout. This backend increments under a row lock instead and keeps the expiry.
"""

import base64
import pickle

from django.core.cache.backends import db
from django.db import connections, router, transaction
from django.utils.timezone import now


class DatabaseCache(db.DatabaseCache):
    """Django's database cache (`db://table` in CACHE_URL) with an atomic `incr`."""

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        alias = router.db_for_write(self.cache_model_class)
        connection = connections[alias]
        table = connection.ops.quote_name(self._table)
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute(f"SELECT value FROM {table} WHERE cache_key = %s AND expires > %s FOR UPDATE",
                           [key, connection.ops.adapt_datetimefield_value(now())])
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            # The stock backend's encoding of a value: base64 of a pickle.
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET value = %s WHERE cache_key = %s", [encoded, key])
        return value
