"""prestashop 0012: before one LMB product per combination is enforced, the bindings that tied one
product to several combinations of a shop keep the first and drop the others."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from connectors.prestashop.models import Binding
from tests.factories import ProductFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="changes the table's constraints inside the test's transaction"),
]

migration = importlib.import_module("connectors.prestashop.migrations.0012_combinations_bound_one_to_one")


def test_a_product_bound_to_several_combinations_keeps_its_first_binding(channel):
    [constraint] = [c for c in Binding._meta.constraints if c.name == "prestashop_binding_one_combination_per_product"]
    shirt, mug = ProductFactory(), ProductFactory()
    with connection.schema_editor() as editor:  # the table as it was before 0012 (undone with the test)
        editor.remove_constraint(Binding, constraint)
    for key, product in (("30:301", shirt), ("30:302", shirt), ("30:303", shirt), ("40:0", mug)):
        Binding.objects.create(channel=channel, kind=Binding.Kind.PRODUCT, external_id=key, object_id=product.pk)
    Binding.objects.create(channel=channel, kind=Binding.Kind.ORDER, external_id="1", object_id=shirt.pk)

    migration.unbind_combinations_sharing_a_product(apps, None)
    with connection.cursor() as cursor:  # the deferred foreign-key checks first: PostgreSQL indexes no table with some pending
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as editor:
        editor.add_constraint(Binding, constraint)

    kept = sorted(Binding.objects.values_list("kind", "external_id"))
    assert kept == [("order", "1"), ("product", "30:301"), ("product", "40:0")]
