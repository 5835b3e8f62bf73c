"""Shop payloads LMB cannot take as they are (issue #17, items 1, 2, 3, 21): each order goes to the
error queue with the reason, nothing of it is kept, never a 500 nor a silently changed value."""

import copy
from decimal import Decimal

import pytest

from catalog.models import Unit
from connectors.prestashop import importer, services
from connectors.prestashop.models import ImportIssue, WebhookEvent
from crm.models import ThirdParty
from lmb.errors import InvalidInput
from sales.models import Order
from tests.connectors.prestashop_standin import derived
from tests.connectors.test_prestashop_webhook import event, post_event
from tests.factories import ProductFactory

REFUSED = "caractère de contrôle invisible (U+0007)"


def _with_row(standin, **changes):
    """Order 1 of the fixtures, its first row changed."""
    order = copy.deepcopy(standin.records["orders"]["1"])
    rows = importer.rows_of(order)
    rows[0].update({key: str(value) for key, value in changes.items()})
    order["associations"]["order_rows"] = rows
    standin.put_record("orders", order)


def _refused(channel, shop_client, *words) -> ImportIssue:
    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")
    assert outcome.status == "failed"
    issue = ImportIssue.objects.get(external_id="1")
    assert issue.status == ImportIssue.Status.OPEN
    for word in words:
        assert word in issue.error, issue.error
    assert not Order.objects.exists()
    return issue


def test_a_shop_customer_with_one_goes_to_the_error_queue_with_the_reason(channel, standin, shop_client):
    standin.put_record("customers", derived(standin.records["customers"]["25"], company="Axelor\x07"))
    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")
    assert outcome.status == "failed"
    issue = ImportIssue.objects.get(external_id="1")
    assert issue.status == ImportIssue.Status.OPEN and REFUSED in issue.error
    assert not Order.objects.exists() and not ThirdParty.objects.exists()


def test_a_shop_order_row_with_one_goes_to_the_error_queue_with_the_reason(channel, standin, shop_client):
    _with_row(standin, product_name="Mug\x07 triskell")
    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")
    assert outcome.status == "failed" and REFUSED in ImportIssue.objects.get(external_id="1").error
    assert not Order.objects.exists()


# --- Too long for LMB: refused with the reason, never cut to fit (item 3) ---------------------------


def test_a_product_name_too_long_goes_to_the_error_queue(channel, standin, shop_client):
    _with_row(standin, product_name="Mug " + "x" * 296)
    _refused(channel, shop_client, "description", "255")


def test_an_order_reference_too_long_goes_to_the_error_queue(channel, standin, shop_client):
    standin.put_record("orders", derived(standin.records["orders"]["1"], reference="R" * 60))
    issue = _refused(channel, shop_client, "customer_reference", "50")
    assert issue.reference == "R" * 40  # the queue's own label of the order, the payload kept whole beside it
    assert issue.payload["reference"] == "R" * 60


@pytest.mark.parametrize(("field", "value", "words"), [("alias", "A" * 150, "100"), ("phone", "0" * 40, "30")])
def test_an_address_field_too_long_goes_to_the_error_queue(channel, standin, shop_client, field, value, words):
    standin.put_record("addresses", derived(standin.records["addresses"]["12"], **{field: value}))
    _refused(channel, shop_client, words)
    assert not ThirdParty.objects.exists()


def test_an_ignored_issue_reason_too_long_is_refused_not_cut(channel):
    services.sync_channel(channel)
    issue = ImportIssue.objects.get(external_id="114")
    with pytest.raises(InvalidInput) as error:
        services.ignore_issue(issue, reason="x" * 300)
    assert "300 caractères" in error.value.message and "255 au plus" in error.value.message
    issue.refresh_from_db()
    assert issue.status == ImportIssue.Status.OPEN and issue.ignored_reason == ""


def test_a_webhook_event_name_too_long_is_refused_not_cut(client, channel):
    response = post_event(client, channel, {**event(1), "event": "e" * 100})
    assert response.status_code == 400 and "60 au plus" in response.content.decode()
    assert not WebhookEvent.objects.exists()


# --- Numbers LMB cannot hold, quantities the unit refuses (items 1 and 21) ---------------------------


def test_a_quantity_too_large_for_what_it_makes_goes_to_the_error_queue(channel, standin, shop_client):
    _with_row(standin, product_quantity="99999999999")
    _refused(channel, shop_client, "Quantité : trop grand", "montant de la ligne")


@pytest.mark.parametrize("field", ["product_quantity", "unit_price_tax_incl", "total_paid_tax_incl"])
def test_a_number_beyond_any_column_goes_to_the_error_queue(channel, standin, shop_client, field):
    if field == "total_paid_tax_incl":
        standin.put_record("orders", derived(standin.records["orders"]["1"], total_paid_tax_incl="1e40"))
    else:
        _with_row(standin, **{field: "1e40"})
    _refused(channel, shop_client, field)


def test_decimals_of_a_product_sold_by_the_piece_go_to_the_error_queue(channel, standin, shop_client):
    ProductFactory(reference="COMP-0003", designation="Processeur", unit=Unit.PIECE, sale_price=Decimal("150"))
    _with_row(standin, product_quantity="1.5")
    _refused(channel, shop_client, "Quantité : 1,5", "ne se fractionne pas")
