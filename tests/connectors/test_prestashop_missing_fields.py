"""Missing is not zero (issue #18, item 5): a field the import reads that is absent from the shop's
payload refuses the order, naming the field — never read as 0 or "" (a paid order without
total_paid_real would otherwise import with no deposit, silently)."""

import copy

import pytest

from connectors.prestashop import importer, services
from connectors.prestashop.models import ImportIssue
from crm.models import ThirdParty
from sales.models import Order, Payment


def _order_1(standin) -> dict:
    return copy.deepcopy(standin.records["orders"]["1"])


def _refused(channel, shop_client, *words) -> ImportIssue:
    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")
    assert outcome.status == "failed"
    issue = ImportIssue.objects.get(external_id="1")
    for word in words:
        assert word in issue.error, issue.error
    assert not Order.objects.exists() and not Payment.objects.exists()
    return issue


@pytest.mark.parametrize("field", importer.ORDER_FIELDS[1:])  # without its id, the order is not asked for by id
def test_an_order_field_absent_refuses_the_order_naming_it(channel, standin, shop_client, field):
    order = _order_1(standin)
    del order[field]
    standin.put_record("orders", order)
    _refused(channel, shop_client, f"Le champ {field} manque dans la commande PrestaShop")


@pytest.mark.parametrize("field", importer.ROW_FIELDS)
def test_an_order_row_field_absent_refuses_the_order_naming_it(channel, standin, shop_client, field):
    order = _order_1(standin)
    del order["associations"]["order_rows"][0][field]
    standin.put_record("orders", order)
    _refused(channel, shop_client, f"Le champ {field} manque dans la ligne n°")


def test_an_order_without_rows_is_refused(channel, standin, shop_client):
    order = _order_1(standin)
    del order["associations"]
    standin.put_record("orders", order)
    _refused(channel, shop_client, "associations/order_rows manque")


@pytest.mark.parametrize("value", ["", None])
def test_an_empty_number_is_refused_not_read_as_zero(channel, standin, shop_client, value):
    order = _order_1(standin)
    order["total_paid_real"] = value
    standin.put_record("orders", order)
    _refused(channel, shop_client, "total_paid_real est vide")


def test_a_paid_order_without_total_paid_real_is_refused_by_the_sync_too(channel, standin):
    """The page path (sales.bulk_orders) gives the same answer as the one-by-one one."""
    order = _order_1(standin)
    del order["total_paid_real"]
    standin.put_record("orders", order)

    run = services.sync_channel(channel)

    assert run.failed == 2  # order 1, and order 114 (its currency) as always
    issue = ImportIssue.objects.get(external_id="1")
    assert "total_paid_real manque" in issue.error
    assert not Payment.objects.filter(reference__contains="IMCVKMUCP").exists()


def test_total_paid_contradicting_the_tax_included_total_is_refused(channel, standin, shop_client):
    order = _order_1(standin)
    order["total_paid"] = "170.000000"
    standin.put_record("orders", order)
    _refused(channel, shop_client, "total payé (total_paid)")


@pytest.mark.parametrize(("resource", "record_id", "field"), [("customers", "25", "email"), ("addresses", "12", "postcode")])
def test_a_customer_or_address_field_absent_refuses_the_order(channel, standin, shop_client, resource, record_id, field):
    record = copy.deepcopy(standin.records[resource][record_id])
    del record[field]
    standin.put_record(resource, record)
    _refused(channel, shop_client, f"Le champ {field} manque", f"n° {record_id}")
    assert not ThirdParty.objects.exists()
