"""Migrations that move data go back as well as forward, the data kept (an operator who rolls a
release back finds what the previous release expects)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from lmb.models import ImportJob, ImportRow
from tests.factories import UserFactory

BEFORE_IMPORT_ROWS = ("lmb", "0011_workers_sweep_jobs_schedule")


def migrate(target: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.migrate(target or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(target).apps if target else None


@pytest.mark.django_db(transaction=True)
def test_the_import_rows_go_back_into_the_json_cells_and_forward_again():
    user = UserFactory()
    checked = ImportJob.objects.create(kind="products", filename="a.csv", created_by=user, row_count=2, rejected_count=1)
    ImportRow.objects.create(import_job=checked, number=2, values={"reference": "A"})
    errors = [{"column": "Référence", "message": "obligatoire"}]
    ImportRow.objects.create(import_job=checked, number=3, values={"reference": ""}, errors=errors, state="rejected")
    checking = ImportJob.objects.create(kind="products", filename="b.csv", created_by=user, status="checking")
    try:
        old = migrate([BEFORE_IMPORT_ROWS]).get_model("lmb", "ImportJob")
        back = old.objects.get(pk=checked.pk)
        assert back.rows == [{"row": 2, "values": {"reference": "A"}}, {"row": 3, "values": {"reference": ""}}]
        assert back.errors == [{"row": 3, **errors[0]}]
        assert old.objects.get(pk=checking.pk).status == "cancelled"  # the code before has no job to wait for
    finally:
        migrate([])
    rows = ImportRow.objects.filter(import_job=checked).values_list("number", "state", "errors")
    assert list(rows) == [(2, "valid", []), (3, "rejected", errors)]
    assert ImportJob.objects.values_list("pk", "row_count", "rejected_count").get(pk=checked.pk) == (checked.pk, 2, 1)
