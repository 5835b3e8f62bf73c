"""The sales screens as staff use them: a draft edited by scanning codes with totals recomputed by
the server, buttons offered only when the status and the user's rights allow, refusals shown
with their reason, the chain walked from order to credit note, payments allocated, lists."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.timeline import timeline_for
from lmb import roles
from sales import services
from sales.models import CreditNote, DeliveryNote, Invoice, Order, Payment, PaymentMethod
from tests.helpers import get_counting_queries, page_text

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "document-lines"}


@pytest.fixture
def sales_client(role_client):
    return role_client(roles.SALES)


def _new_order(client, shop, channel=None):
    channel = channel or shop.phone
    response = client.post(reverse("sales:order_create"), {"customer": shop.bakery.code, "channel": channel.pk})
    assert response.status_code == 302
    return Order.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[1])


@pytest.mark.django_db
def test_scanning_codes_adds_lines_and_the_server_recomputes_the_totals(sales_client, shop):
    order = _new_order(sales_client, shop)
    add = reverse("sales:order_line_add", args=[order.pk])

    response = sales_client.post(add, {"code": shop.lamp.ean13, "kind": "product"}, **HTMX)
    assert response.status_code == 200
    response = sales_client.post(add, {"code": shop.jam.reference, "quantity": "3", "kind": "product"}, **HTMX)
    order.refresh_from_db()
    # The phone channel sells tax-included: 49,90 + 0,50 eco ×1.2 = 50,50 ; 3 × 4,20 = 12,60.
    assert order.total_incl_tax == Decimal("63.10")
    text = page_text(response)
    assert "63,10\u00a0€" in text and "Confiture de fraises" in text and "Éco-participation" in text

    line = order.lines.get(product=shop.jam, parent=None)
    change = reverse("sales:order_line_change", args=[order.pk, line.pk])
    response = sales_client.post(change, {"quantity": "1", "unit_price": "4,20", "discount_percent": "0"}, **HTMX)
    order.refresh_from_db()
    assert order.total_incl_tax == Decimal("54.70")
    assert "54,70\u00a0€" in page_text(response)


@pytest.mark.django_db
def test_an_unknown_code_is_refused_beside_the_scan_box_and_adds_nothing(sales_client, shop):
    order = _new_order(sales_client, shop)
    response = sales_client.post(
        reverse("sales:order_line_add", args=[order.pk]), {"code": "0000000000000", "kind": "product"}, **HTMX
    )
    assert response.status_code == 422
    assert 'data-error-for="code"' in response.content.decode()
    assert "Aucun produit n'a le code « 0000000000000 »" in page_text(response)
    assert not order.lines.exists()


@pytest.mark.django_db
def test_document_discount_is_changed_on_a_draft_and_totals_follow(sales_client, shop):
    order = _new_order(sales_client, shop, channel=shop.b2b)
    services.add_line(order, product=shop.mug, quantity=10)  # 82,50 HT
    response = sales_client.post(
        reverse("sales:order_terms", args=[order.pk]),
        {"discount_percent": "10", "payment_terms": "net_30", "customer_reference": "BC-77", "note": ""},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.allowance_total, order.total_excl_tax, order.customer_reference) == (
        Decimal("8.25"),
        Decimal("74.25"),
        "BC-77",
    )
    response = sales_client.post(
        reverse("sales:order_terms", args=[order.pk]), {"discount_percent": "120", "payment_terms": "net_30"}
    )
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.discount_percent == Decimal("10")


@pytest.mark.django_db
def test_buttons_follow_the_status_and_the_rights(sales_client, role_client, shop):
    order = _new_order(sales_client, shop)
    services.add_line(order, product=shop.lamp, quantity=2)
    page = sales_client.get(order.get_absolute_url()).content.decode()
    assert 'data-action="confirm"' in page and 'data-action="deliver"' not in page

    services.confirm_order(order)
    page = sales_client.get(order.get_absolute_url()).content.decode()
    assert 'data-action="confirm"' not in page
    assert all(f'data-action="{name}"' in page for name in ("deliver", "deposit", "cancel"))
    assert 'data-action="invoice"' not in page  # nothing shipped yet

    accountant = role_client(roles.ACCOUNTANT)
    page = accountant.get(order.get_absolute_url()).content.decode()
    assert "data-action=" not in page
    assert accountant.post(reverse("sales:order_action", args=[order.pk, "cancel"])).status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


@pytest.mark.django_db
def test_a_refused_transition_comes_back_with_its_reason(sales_client, shop):
    order = _new_order(sales_client, shop)
    response = sales_client.post(reverse("sales:order_action", args=[order.pk, "confirm"]), follow=True)
    assert "Une commande sans ligne ne se confirme pas." in page_text(response)
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT and order.number is None


@pytest.mark.django_db
def test_the_chain_from_order_to_credit_note_through_the_screens(sales_client, shop):
    order = _new_order(sales_client, shop)
    services.add_line(order, product=shop.lamp, quantity=3)
    action = lambda name, data=None: sales_client.post(reverse("sales:order_action", args=[order.pk, name]), data or {})  # noqa: E731

    assert action("confirm").status_code == 302
    response = action("deliver")
    note = DeliveryNote.objects.get(order=order)
    assert response.url == reverse("sales:delivery_detail", args=[note.pk])
    line = note.lines.get()
    sales_client.post(reverse("sales:delivery_quantity", args=[note.pk, line.pk]), {"quantity": "2"})
    response = sales_client.post(
        reverse("sales:delivery_action", args=[note.pk, "ship"]), {"carrier": "Colissimo", "tracking_number": "6A123"}
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.status, note.tracking_number) == (DeliveryNote.Status.SHIPPED, "6A123")

    order.refresh_from_db()
    backorders = page_text(sales_client.get(reverse("sales:backorder_list")))
    assert order.number in backorders and "Lampe Breizh" in backorders

    response = action("invoice")
    invoice = Invoice.objects.get(orders=order)
    assert response.url == invoice.get_absolute_url()
    assert invoice.lines.get(parent=None).quantity == 2  # the delivered quantity, not the ordered one
    sales_client.post(reverse("sales:invoice_action", args=[invoice.pk, "issue"]))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED and invoice.number.startswith("FA")
    assert invoice.total_incl_tax == Decimal("101.00")

    pay_url = reverse("sales:invoice_action", args=[invoice.pk, "pay"])
    form_page = page_text(sales_client.get(pay_url))
    assert "101,00" in form_page  # the balance is proposed
    sales_client.post(pay_url, {"amount": "60", "method": "card", "payment_date": "2026-11-23", "reference": ""})
    page = page_text(sales_client.get(invoice.get_absolute_url()))
    assert 'id="invoice-balance">41,00\u00a0€<' in page

    credit_url = reverse("sales:invoice_action", args=[invoice.pk, "credit"])
    invoice_line = invoice.lines.get(parent=None)
    response = sales_client.post(
        credit_url,
        {"reason": "Lampe rendue", "settlement": "balance", "return_to_stock": "on", f"line_{invoice_line.pk}": "1"},
    )
    credit_note = CreditNote.objects.get(invoice=invoice)
    assert response.url == credit_note.get_absolute_url()
    sales_client.post(reverse("sales:credit_note_action", args=[credit_note.pk, "issue"]))
    credit_note.refresh_from_db()
    assert credit_note.status == CreditNote.Status.ISSUED and credit_note.total_incl_tax == Decimal("50.50")
    page = page_text(sales_client.get(invoice.get_absolute_url()))
    assert credit_note.number in page and 'id="invoice-balance">0,00\u00a0€<' in page  # the credit settled the 41,00 left

    history = page_text(sales_client.get(order.get_absolute_url()))
    assert "Confirmé" in history and "Expédié" in history


@pytest.mark.django_db
def test_a_credit_note_form_refuses_more_than_invoiced_and_creates_nothing(sales_client, shop):
    invoice = services.create_direct_invoice(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.fitting}])
    services.issue_invoice(invoice)
    line = invoice.lines.get()
    response = sales_client.post(
        reverse("sales:invoice_action", args=[invoice.pk, "credit"]),
        {"reason": "Geste commercial", "settlement": "balance", f"line_{line.pk}": "2"},
    )
    assert response.status_code == 400
    assert "entre 0 et 1" in page_text(response)
    assert not CreditNote.objects.exists()


@pytest.mark.django_db
def test_a_payment_is_recorded_then_allocated_by_invoice_number(sales_client, shop):
    invoices = []
    for _ in range(2):
        invoice = services.create_direct_invoice(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.fitting}])
        invoices.append(services.issue_invoice(invoice))  # 72,00 TTC each
    response = sales_client.post(
        reverse("sales:payment_create"),
        {"customer": shop.bakery.code, "amount": "100", "method": "transfer", "payment_date": "2026-11-20", "reference": "VIR 1"},
    )
    payment = Payment.objects.get()
    assert response.url == reverse("sales:payment_detail", args=[payment.pk])
    assert not payment.allocations.exists()  # "affecter" was not ticked

    allocate = reverse("sales:payment_allocate", args=[payment.pk])
    response = sales_client.post(allocate, {"invoice_number": "FA0000", "amount": "10"})
    assert response.status_code == 400 and "Aucune facture de ce client ne porte ce numéro." in page_text(response)
    sales_client.post(allocate, {"invoice_number": invoices[1].number.lower(), "amount": "72"})
    response = sales_client.post(allocate, {"invoice_number": invoices[0].number, "amount": "72"})
    assert response.status_code == 400  # only 28,00 left on the payment
    assert payment.allocations.get().invoice == invoices[1]
    page = page_text(sales_client.get(reverse("sales:payment_detail", args=[payment.pk])))
    assert 'id="unallocated">28,00\u00a0€<' in page


@pytest.mark.django_db
def test_the_customer_timeline_shows_the_sales_documents(shop):
    order = services.create_order(customer=shop.bakery, channel=shop.phone, lines=[{"product": shop.mug}])
    services.confirm_order(order)
    invoice = services.issue_invoice(
        services.create_direct_invoice(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.fitting}])
    )
    services.record_payment(customer=shop.bakery, amount="72", method=PaymentMethod.CHEQUE, invoices=[invoice])
    items = timeline_for(shop.bakery)
    kinds = [item.kind for item in items if item.source == "sales"]
    assert sorted(kinds) == ["invoice", "order", "payment"]
    assert any(invoice.number in item.title for item in items)
    assert [item.occurred_at for item in items] == sorted((item.occurred_at for item in items), reverse=True)


LISTS = [
    "sales:quote_list",
    "sales:order_list",
    "sales:delivery_list",
    "sales:backorder_list",
    "sales:invoice_list",
    "sales:credit_note_list",
    "sales:payment_list",
    "sales:voucher_list",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", LISTS)
def test_every_list_answers_filters_and_exports(admin_client, shop, url_name):
    order = services.create_order(customer=shop.bakery, channel=shop.phone, lines=[{"product": shop.mug, "quantity": 4}])
    services.confirm_order(order)
    url = reverse(url_name)
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "Goff", "sort": "-date"}).status_code == 200
    response = admin_client.get(url, {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.django_db
def test_invoice_list_filters_unpaid_and_by_customer(admin_client, shop):
    paid = services.issue_invoice(
        services.create_direct_invoice(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.fitting}])
    )
    unpaid = services.issue_invoice(
        services.create_direct_invoice(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.fitting}])
    )
    services.record_payment(customer=shop.bakery, amount="72", method=PaymentMethod.CARD, invoices=[paid])
    page = admin_client.get(reverse("sales:invoice_list"), {"unpaid": "true"}).content.decode()
    assert unpaid.number in page and paid.number not in page
    page = admin_client.get(reverse("sales:invoice_list"), {"customer": shop.walk_in.code}).content.decode()
    assert unpaid.number not in page


# url → the most queries it may take (session, user, permissions, company, count, rows)
PINNED = {
    "/sales/quotes/": 9,
    "/sales/orders/": 9,
    "/sales/deliveries/": 9,
    "/sales/backorders/": 8,
    "/sales/invoices/": 9,
    "/sales/invoices/?unpaid=true": 9,
    "/sales/credit-notes/": 9,
    "/sales/payments/": 8,
    "/sales/vouchers/": 8,
}


def _sell(shop, count):
    """``count`` of each: quotes sent, orders half shipped, invoices paid in part, credit notes, vouchers."""
    for _ in range(count):
        services.send_quote(services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug}]))
        order = services.confirm_order(
            services.create_order(customer=shop.bakery, channel=shop.phone, lines=[{"product": shop.mug, "quantity": 2}])
        )
        note = services.create_delivery_note(order, quantities={order.lines.get().pk: 1})
        services.ship_delivery_note(note)
        invoice = services.issue_invoice(services.invoice_order(order))
        services.record_payment(customer=shop.bakery, amount="5", method=PaymentMethod.CARD, invoices=[invoice])
        credit_note = services.create_credit_note(invoice, reason="Geste", settlement=CreditNote.Settlement.VOUCHER)
        services.issue_credit_note(credit_note)


@pytest.mark.django_db
def test_sales_lists_take_a_fixed_number_of_queries(admin_client, shop):
    _sell(shop, 2)
    few = {url: get_counting_queries(admin_client, url)[1] for url in PINNED}
    _sell(shop, 12)
    many = {url: get_counting_queries(admin_client, url)[1] for url in PINNED}
    assert few == many
    assert {url: n for url, n in many.items() if n > PINNED[url]} == {}
