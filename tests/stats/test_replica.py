"""With DATABASE_READ_URL set, analyses read from the ``replica`` alias (here a second connection
to the test database), and nothing of theirs reads the primary."""

from datetime import date

import pytest
from django.db import connections

from lmb.routers import ReadReplicaRouter
from stats import queries, streaming
from stats import services as stats_services
from stats.models import SaleFact, SavedAnalysis
from stats.spec import parse
from tests.stats.conftest import sell


@pytest.fixture
def replica(settings):
    """A second connection to the test database under the alias ``replica`` (made here rather than
    in the settings, so that no other test reads through it)."""
    connection = connections.create_connection("default")
    connection.alias = "replica"
    connections["replica"] = connection
    settings.READ_DATABASE_ALIAS = "replica"
    settings.DATABASE_ROUTERS = ["lmb.routers.ReadReplicaRouter"]
    try:
        yield connection
    finally:
        connection.close()
        del connections["replica"]


class Recorder:
    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append(sql)
        return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True)
def test_analysis_reads_go_to_the_replica(shop, replica):
    sell(shop, shop.bakery, shop.b2b, [{"product": shop.mug, "quantity": 3}], date(2025, 1, 15))
    stats_services.refresh_facts()
    on_replica, on_primary = Recorder(), Recorder()
    with replica.execute_wrapper(on_replica), connections["default"].execute_wrapper(on_primary):
        spec = parse({"levels": "month,product", "start": "2025-01-01", "end": "2025-12-31", "compare": "last_year"})
        analysis = queries.run(spec)
        exported = list(streaming.rows(spec))  # the exports' server-side cursor, on the replica too
        routed = SaleFact.objects.count()  # the router sends a plain read of the facts there too
    assert analysis.total["net"] == shop.mug.sale_price_excl_tax * 3
    assert [row.values["net"] for row in exported] == [analysis.total["net"]] * 3  # month, product, total
    assert routed == 1
    assert any("stats_salefact" in sql for sql in on_replica.statements)
    assert on_primary.statements == []


def test_writes_and_saved_analyses_stay_on_the_primary(settings):
    settings.READ_DATABASE_ALIAS = "replica"
    router = ReadReplicaRouter()
    assert router.db_for_read(SaleFact) == "replica"
    assert router.db_for_read(SavedAnalysis) is None
    assert router.db_for_write(SaleFact) == "default"
    assert router.allow_migrate("replica", "stats") is False


def test_without_a_replica_everything_reads_default(db):
    assert queries.read_alias() == "default"


def test_the_rebuild_writes_on_the_primary_even_with_a_replica(shop, settings):
    settings.READ_DATABASE_ALIAS = "replica"  # an alias that does not exist here: any use of it fails
    settings.DATABASE_ROUTERS = ["lmb.routers.ReadReplicaRouter"]
    sell(shop, shop.bakery, shop.b2b, [{"product": shop.mug, "quantity": 1}], date(2025, 1, 15))
    report = stats_services.rebuild_facts()
    assert report.sales == 1
    assert SaleFact.objects.using("default").count() == 1
