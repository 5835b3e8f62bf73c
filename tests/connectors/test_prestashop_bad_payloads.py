"""Shop payloads LMB cannot take as they are (issue #17, items 1, 2, 3, 21): each order goes to the
error queue with the reason, nothing of it is kept, never a 500 nor a silently changed value."""

import copy

from connectors.prestashop import importer
from connectors.prestashop.models import ImportIssue
from crm.models import ThirdParty
from sales.models import Order
from tests.connectors.prestashop_standin import derived

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
