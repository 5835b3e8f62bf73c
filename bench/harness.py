"""What every bench shares: the throwaway PostgreSQL database named by BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/lmb_bench), dropped and recreated for each run, and
Django set up on it. Import this module first: it sets the environment Django reads."""

import contextlib
import os
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lmb_bench")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lmb.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")


def _database_name() -> str:
    return urlparse(DATABASE_URL).path.lstrip("/")


def _admin_execute(*statements):
    """Run statements on the server's ``postgres`` database (a database cannot drop itself)."""
    import psycopg

    admin = urlparse(DATABASE_URL)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


def recreate_database():
    _admin_execute(f'DROP DATABASE IF EXISTS "{_database_name()}"', f'CREATE DATABASE "{_database_name()}"')


def drop_database():
    from django.db import connections

    connections.close_all()
    _admin_execute(f'DROP DATABASE IF EXISTS "{_database_name()}" WITH (FORCE)')


def setup(*, migrate=True):
    """Django on the bench database, migrated."""
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


# The seller every bench sells as (a valid SIREN, the identity an invoice needs to be issued).
BENCH_COMPANY = {
    "name": "Au Comptoir Breton",
    "legal_form": "SARL",
    "share_capital": "20000",
    "siren": "902114305",
    "siret": "90211430500011",
    "rcs_city": "Rennes",
    "vat_number": "FR53902114305",
    "address_line1": "12 quai Duguay-Trouin",
    "postal_code": "35000",
    "city": "Rennes",
    "country": "FR",
    "default_payment_terms": "net_30",
    "late_penalty_rate": "12.15",
}


def save_bench_company(**more):
    from lmb.services import save_company

    return save_company(**BENCH_COMPANY, **more)


_INHERITED_CONNECTIONS = []


def forget_inherited_connections():
    """A forked child opens its own connections: those it inherits belong to the parent, so it
    neither uses nor closes them (kept referenced so that no finaliser closes them either)."""
    from django.db import connections

    for conn in connections.all():
        _INHERITED_CONNECTIONS.append(conn.connection)
        conn.connection = None


@contextlib.contextmanager
def autoanalyze(every_seconds: float = 15.0):
    """Keep the planner statistics as autovacuum keeps them on a database in use (``ANALYZE``
    every ``every_seconds``, on a connection of its own) while a bench fills tables from empty.

    The PostgreSQL of the bench machine may run with autovacuum off (``SHOW autovacuum``): its
    statistics would then stay those of the empty tables, and plans made for empty tables
    (prepared statements keep theirs until the next ANALYZE) read whole tables later on."""
    import psycopg

    stop = threading.Event()

    def run():
        with psycopg.connect(DATABASE_URL, autocommit=True) as connection:
            while not stop.wait(every_seconds):
                connection.execute("ANALYZE")

    thread = threading.Thread(target=run, name="autoanalyze", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
