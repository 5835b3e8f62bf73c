"""The precompiled row reads of the hot paths give the very instances the ORM gives."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lmb import rows
from lmb.models import Company
from sales import services
from sales.models import DocumentEvent, Order
from tests.sales.conftest import shop  # noqa: F401  (fixture)


def _values(instance):
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


@pytest.mark.smoke  # SQLite hands dates, decimals and JSON back as text: the converters must apply
@pytest.mark.django_db
def test_a_row_reads_as_the_orm_reads_it(shop):  # noqa: F811
    order = services.create_order(
        customer=shop.bakery,
        channel=shop.b2b,
        lines=[{"product": shop.lamp, "quantity": 2}, {"product": shop.jam, "quantity": 3, "discount_percent": "5"}],
    )
    # Decimals, dates and date-times, JSON (addresses, VAT breakdown), foreign keys, booleans.
    assert _values(rows.get_row(Order, order.pk)) == _values(Order.objects.get(pk=order.pk))
    assert _values(rows.get_row(Company, 1)) == _values(Company.objects.get(pk=1))
    assert rows.get_row(Order, order.pk)._state.adding is False


@pytest.mark.django_db
def test_rows_come_in_the_order_asked(shop):  # noqa: F811
    order = services.create_order(
        customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 1}, {"product": shop.jam, "quantity": 1}]
    )
    services.add_line(order, product=shop.lamp, quantity=1)
    order.lines.filter(product=shop.mug).update(position=99)  # moved to the end: neither pk nor insertion order
    expected = list(order.lines.order_by("position", "pk"))
    found = rows.rows_where(type(expected[0]), "document_id", order.pk, order_by=("position", "id"))
    assert [line.pk for line in found] == [line.pk for line in expected]
    assert [_values(line) for line in found] == [_values(line) for line in expected]


@pytest.mark.django_db
def test_a_missing_row_raises_like_the_orm():
    with pytest.raises(Order.DoesNotExist):
        rows.get_row(Order, 987654)


@pytest.mark.django_db
def test_the_lock_is_taken_where_the_database_has_row_locks(shop):  # noqa: F811
    order = services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 1}])
    with CaptureQueriesContext(connection) as captured:
        rows.get_row(Order, order.pk, for_update=True)
    assert captured.captured_queries[-1]["sql"].endswith("FOR UPDATE") is connection.features.has_select_for_update


@pytest.mark.smoke  # the values go out through the fields' own preparation: JSON, decimals, dates on SQLite too
@pytest.mark.django_db
def test_rows_written_read_back_as_the_orm_writes_them(shop):  # noqa: F811
    order = services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.lamp, "quantity": 2}])
    event = rows.insert(DocumentEvent(document_type="order", document_id=order.pk, action="confirmed", detail="test"))
    stored = DocumentEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.detail, stored.document_id) == ("confirmed", "test", order.pk)
    assert stored.at is not None  # auto_now_add applied, as on save()

    order.billing_address = {"line1": "3 quai des Indes", "city": "Lorient"}
    order.total_incl_tax = Decimal("123.45")
    order.note = "à livrer le matin"
    before = _values(Order.objects.get(pk=order.pk))
    rows.update_fields(order, ["billing_address", "total_incl_tax", "note"])
    after = _values(Order.objects.get(pk=order.pk))
    assert after == {**before, "billing_address": order.billing_address, "total_incl_tax": Decimal("123.45"), "note": order.note}


@pytest.mark.smoke  # one statement on PostgreSQL, one per row elsewhere: the same rows either way
@pytest.mark.django_db
def test_rows_saved_together_are_the_rows_saved_one_by_one(shop):  # noqa: F811
    order = services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.lamp, "quantity": 2}])
    order.note, order.total_incl_tax = "livré le matin", Decimal("99.90")
    first = DocumentEvent(document_type="order", document_id=order.pk, action="confirmed", detail="un")
    second = DocumentEvent(document_type="order", document_id=order.pk, action="deposit", detail="deux")
    with CaptureQueriesContext(connection) as captured:
        rows.save_together(update=(order, ["note", "total_incl_tax"]), inserts=[first, second])
    assert len(captured.captured_queries) == (1 if connection.vendor == "postgresql" else 3)
    stored = Order.objects.get(pk=order.pk)
    assert (stored.note, stored.total_incl_tax) == ("livré le matin", Decimal("99.90"))
    events = {event.pk: (event.action, event.detail) for event in DocumentEvent.objects.filter(document_id=order.pk)}
    assert events[first.pk] == ("confirmed", "un") and events[second.pk] == ("deposit", "deux")
    assert first.pk != second.pk and first._state.adding is False
