"""Issuing holds the invoice series and the chain locked from its number to its commit: every
other issuer waits for that part. It stays three statements, whatever the size of the series."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sales import services
from sales.models import DocumentEvent, Installment, Invoice


def _draft_of_shipped_order(shop):
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 2}])
    )
    services.ship_delivery_note(services.create_delivery_note(order))
    return services.invoice_order(order)


@pytest.mark.django_db
def test_from_its_number_to_its_commit_an_issue_runs_three_statements(shop):
    services.issue_invoice(_draft_of_shipped_order(shop))  # a series already started: the general case
    draft = _draft_of_shipped_order(shop)
    with CaptureQueriesContext(connection) as captured:
        issued = services.issue_invoice(draft)
    statements = [query["sql"] for query in captured.captured_queries if not query["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    numbered = next(index for index, sql in enumerate(statements) if "lmb_sequence" in sql)
    # The series and chain numbers; the last issue date and the previous hash; the issued row
    # with its due date and its history entry.
    assert len(statements[numbered:]) == 3, statements[numbered:]
    assert len(statements) <= 11, statements

    stored = Invoice.objects.get(pk=issued.pk)
    assert (stored.status, stored.number, stored.content_hash) == (Invoice.Status.ISSUED, issued.number, issued.content_hash)
    [installment] = Installment.objects.filter(invoice=stored)
    assert (installment.due_date, installment.amount) == (stored.due_date, stored.amount_due)
    assert DocumentEvent.objects.filter(
        document_type="invoice", document_id=stored.pk, action="issued", detail=issued.number
    ).exists()
