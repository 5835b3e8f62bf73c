"""Automatic invoicing of web orders (issue #22, INV-18): an order imported from the shop and shipped
is invoiced at once (the shop's channel invoices « à l'expédition »), its payment deducted, and the
shop's « invoiced » state is pushed exactly once — also when the sweepers run again later, or the
issue is told twice; with the channel's e-mail of new invoices on, the customer gets one e-mail."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from connectors.prestashop import importer, services
from connectors.prestashop.models import Push
from lmb.models import InvoicingPolicy
from sales import services as sales_services
from sales.invoicing import queries as invoicing_queries
from sales.invoicing import services as invoicing
from sales.models import Invoice, InvoiceMailing, Order
from stock import services as stock_services
from tests.factories import ProductFactory

INVOICED = "5"  # the shop's « Paiement accepté / facturée » state chosen for « invoiced »


@pytest.fixture
def paid_web_order(channel, shop_client, main_warehouse, standin, django_capture_on_commit_callbacks):
    """The shop's order 1 (paid at checkout: a deposit), imported on a channel that pushes the
    « invoiced » state and e-mails each new invoice."""
    channel.states = {**channel.states, "invoiced": INVOICED}
    channel.save(update_fields=["states"])
    sales_channel = channel.sales_channel
    sales_channel.email_invoices = True
    sales_channel.save(update_fields=["email_invoices"])
    processor = ProductFactory(reference="COMP-0003", designation="Processeur 4x3,4 GHz", sale_price=Decimal("180.00"))
    stock_services.receive(product=processor, warehouse=main_warehouse, quantity=10, unit_cost=Decimal("120.00"))
    with django_capture_on_commit_callbacks(execute=True):
        outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")
    assert outcome.status == "created", outcome.error
    order = Order.objects.select_related("customer", "channel").get(pk=outcome.order_id)
    assert invoicing_queries.policy_of(order) == InvoicingPolicy.AT_SHIPMENT  # a web shop's default
    assert standin.writes_to("order_histories") == []  # the deposit invoice pushes nothing
    assert mail.outbox == []  # nor is it e-mailed: only new invoices are
    return order


def states_pushed(standin) -> list[str]:
    return [write["record"]["id_order_state"] for write in standin.writes_to("order_histories")]


def test_a_shipped_web_order_is_invoiced_and_the_shop_told_invoiced_once(
    paid_web_order, standin, django_capture_on_commit_callbacks
):
    order = paid_web_order
    with django_capture_on_commit_callbacks(execute=True):  # the shipment commits: its subscribers run
        note = sales_services.ship_delivery_note(
            sales_services.create_delivery_note(order), carrier="Colissimo", tracking_number="6A12345678901"
        )

    (invoice,) = Invoice.objects.filter(kind=Invoice.Kind.INVOICE, orders=order)
    assert invoice.status == Invoice.Status.ISSUED
    assert {line.delivery_line.delivery_note_id for line in invoice.lines.exclude(delivery_line=None)} == {note.pk}
    assert invoice.total_incl_tax == order.total_incl_tax
    assert invoice.deposits_total == order.total_incl_tax and invoice.amount_due == 0  # paid at checkout, deducted
    assert states_pushed(standin) == ["4", INVOICED]  # shipped, then invoiced
    assert standin.records["orders"]["1"]["current_state"] == INVOICED
    (pushed,) = Push.objects.filter(kind=Push.Kind.STATE, key="state:1:invoiced")
    assert pushed.status == Push.Status.SENT

    # Later on, every sweeper runs again, and the issue is told a second time: nothing more.
    an_hour_later = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert invoicing.sweep_invoicing(now=an_hour_later) == {"invoiced": 0, "mailings": 0}
        services.sweep_outbox(now=an_hour_later)
        services.on_invoice_issued(invoice_id=invoice.pk, kind=invoice.kind)
        invoicing.on_invoice_issued(invoice_id=invoice.pk, kind=invoice.kind)
    assert Invoice.objects.filter(kind=Invoice.Kind.INVOICE, orders=order).count() == 1
    assert states_pushed(standin) == ["4", INVOICED]
    assert Push.objects.filter(kind=Push.Kind.STATE, key__endswith=":invoiced").count() == 1

    # One e-mail, to the shop's customer, with the invoice's PDF.
    (message,) = mail.outbox
    assert message.to == [order.customer.email] and order.customer.email
    assert invoice.number in message.subject
    ((filename, content, mimetype),) = message.attachments
    assert mimetype == "application/pdf" and invoice.number in filename and content.startswith(b"%PDF")
    assert InvoiceMailing.objects.get(invoice=invoice).status == InvoiceMailing.Status.SENT
