"""The read replica (``DATABASE_READ_URL``): analyses and dashboards read from it, so that a long
report never weighs on the primary that takes the sales. Set, it is the ``replica`` alias and
``settings.READ_DATABASE_ALIAS``; unset (the embedded SQLite setup), everything stays on default.

The router sends the reads of the read-model apps' facts to the replica (they are written by
refresh tasks and read only by reports, so a replica a few seconds behind is fine); every write,
every other read, and the saved analyses (read right after they are saved) stay on default. Code
that reads business tables for a report asks for ``READ_DATABASE_ALIAS`` with ``.using()``."""

from django.conf import settings

READ_MODEL_APPS = {"stats"}
PRIMARY_ONLY = {"stats.savedanalysis"}


class ReadReplicaRouter:
    def db_for_read(self, model, **hints):
        meta = model._meta
        if meta.app_label in READ_MODEL_APPS and meta.label_lower not in PRIMARY_ONLY:
            return getattr(settings, "READ_DATABASE_ALIAS", "default")
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, copied

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the replica follows the primary's schema by replication
