"""The database router of the read replica (settings: DATABASE_REPLICA_URL; toolkit.replica marks the views).

Reads go to "replica" only inside a view marked `toolkit.replica.reads_from_replica`, for a GET or HEAD
request that has not written, while the replica is healthy; everything else, and every write, goes to
"default" (named explicitly: Django would otherwise send a write of an object read from the replica
back to the replica)."""

from toolkit.replica import PRIMARY_ONLY_APPS, REPLICA, note_write, read_alias

PRIMARY = "default"


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return PRIMARY if model._meta.app_label in PRIMARY_ONLY_APPS else read_alias()

    def db_for_write(self, model, **hints):
        note_write()  # read-your-own-writes: the rest of the request reads the primary
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two servers

    def allow_migrate(self, db, app_label, **hints):
        return False if db == REPLICA else None
