"""The sales REST API: the whole chain quote → order → delivery → invoice → payment → credit note
through /api/v1/, refused transitions (409 with the reason), bad input (400 naming the field,
nothing changed), Idempotency-Key replays, role permissions, filters, and pinned query counts."""

from decimal import Decimal

import pytest

from lmb import roles
from sales import queries, services
from sales.models import CreditNote, DeliveryNote, Invoice, Order, Payment, PaymentMethod, Quote, Voucher
from tests.helpers import get_counting_queries, walk_pages
from tests.sales.conftest import customer

pytestmark = pytest.mark.django_db

API = "/api/v1"


def post(api, url, data=None, **headers):
    return api.post(f"{API}{url}", data or {}, format="json", **headers)


def created(response):
    assert response.status_code == 201, response.json()
    return response.json()


def ok(response):
    assert response.status_code == 200, response.json()
    return response.json()


def refused(response, status_code, text):
    """The answer is ``status_code`` and its JSON body gives the reason (``text``)."""
    assert response.status_code == status_code, response.json()
    assert text in str(response.json()), response.json()
    return response.json()


def shipped_order(shop, quantity=10):
    """An order of mugs, confirmed and entirely shipped, through the services."""
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": quantity}])
    )
    services.ship_delivery_note(services.create_delivery_note(order))
    return order


def issued_invoice(shop, quantity=10):
    return services.issue_invoice(services.invoice_order(shipped_order(shop, quantity)))


# --- The chain -----------------------------------------------------------------------------------


def test_the_whole_chain_through_the_api(shop, api_client):
    api = api_client(roles.SALES)
    quote = created(
        post(
            api,
            "/quotes/",
            {
                "customer": shop.bakery.pk,
                "channel": shop.b2b.pk,
                "customer_reference": "BC-77",
                "lines": [{"code": shop.mug.reference, "quantity": "10"}, {"product": shop.lamp.pk, "quantity": "3"}],
            },
        )
    )
    assert (quote["status"], quote["number"], quote["customer_name"]) == ("draft", None, "Boulangerie Le Goff")
    assert [line["kind"] for line in quote["lines"]] == ["product", "product", "eco"]  # the lamp brings its eco-participation
    # 10 × 8.25 + 3 × 41.583333 (49.90 TTC) + 3 × 0.50 eco, all at 20 %.
    assert (quote["total_excl_tax"], quote["total_vat"], quote["total_incl_tax"]) == ("208.75", "41.75", "250.50")
    assert quote["vat_breakdown"] == [
        {
            "category": "S",
            "rate": "20",
            "lines_net": "208.75",
            "allowance": "0.00",
            "base": "208.75",
            "vat": "41.75",
            "gross": "250.50",
        }
    ]

    sent = ok(post(api, f"/quotes/{quote['id']}/send/"))
    assert sent["status"] == "sent" and sent["number"].startswith("DE") and sent["valid_until"]
    order = created(post(api, f"/quotes/{quote['id']}/accept/"))
    assert (order["status"], order["quote"], order["total_incl_tax"]) == ("draft", quote["id"], "250.50")
    order = ok(post(api, f"/orders/{order['id']}/confirm/"))
    assert order["status"] == "confirmed" and order["number"].startswith("CO")

    mug_line = next(line for line in order["lines"] if line["product"] == shop.mug.pk)
    note = created(post(api, f"/orders/{order['id']}/deliver/", {"lines": [{"order_line": mug_line["id"], "quantity": "6"}]}))
    assert note["status"] == "draft" and [(line["order_line"], line["quantity"]) for line in note["lines"]] == [
        (mug_line["id"], "6.000")
    ]
    note = ok(post(api, f"/delivery-notes/{note['id']}/ship/", {"carrier": "Colissimo", "tracking_number": "6A123"}))
    assert note["status"] == "shipped" and note["number"].startswith("BL") and note["carrier"] == "Colissimo"
    order = ok(api.get(f"{API}/orders/{order['id']}/"))
    mug_line = next(line for line in order["lines"] if line["id"] == mug_line["id"])
    assert order["status"] == "partially_delivered" and order["delivery_notes"] == [note["id"]]
    assert (mug_line["delivered_quantity"], mug_line["backorder_quantity"]) == ("6.000", "4.000")

    invoice = created(post(api, f"/orders/{order['id']}/invoice/"))
    assert invoice["status"] == "draft" and invoice["orders"] == [order["id"]]
    assert [(line["description"], line["quantity"]) for line in invoice["lines"]] == [("Mug triskell", "6.000")]
    assert (invoice["total_excl_tax"], invoice["total_vat"], invoice["total_incl_tax"]) == ("49.50", "9.90", "59.40")
    invoice = ok(post(api, f"/invoices/{invoice['id']}/issue/"))
    assert invoice["status"] == "issued" and invoice["number"].startswith("FA") and invoice["content_hash"]
    assert (invoice["amount_due"], invoice["paid"], invoice["balance"]) == ("59.40", "0.00", "59.40")
    assert invoice["installments"] == [{"due_date": invoice["due_date"], "amount": "59.40"}]

    payment = created(
        post(api, f"/invoices/{invoice['id']}/pay/", {"amount": "40.00", "method": "transfer", "reference": "VIR 1"})
    )
    assert payment["allocated"] == "40.00" and payment["allocations"][0]["invoice"] == invoice["id"]
    invoice = ok(api.get(f"{API}/invoices/{invoice['id']}/"))
    assert (invoice["paid"], invoice["balance"]) == ("40.00", "19.40")

    invoice_line = invoice["lines"][0]["id"]
    credit_note = created(
        post(
            api,
            f"/invoices/{invoice['id']}/credit/",
            {"reason": "Deux mugs ébréchés", "lines": [{"invoice_line": invoice_line, "quantity": "2"}]},
        )
    )
    assert (credit_note["status"], credit_note["invoice_number"]) == ("draft", invoice["number"])
    assert (credit_note["total_excl_tax"], credit_note["total_vat"], credit_note["total_incl_tax"]) == ("16.50", "3.30", "19.80")
    credit_note = ok(post(api, f"/credit-notes/{credit_note['id']}/issue/"))
    assert credit_note["status"] == "issued" and credit_note["number"].startswith("AV")

    invoice = ok(api.get(f"{API}/invoices/{invoice['id']}/"))
    assert (invoice["paid"], invoice["balance"]) == ("59.40", "0.00")  # 40.00 paid + 19.40 of the credit note
    assert queries.customer_credit(shop.bakery) == Decimal("0.40")  # the rest of the credit, on account


def test_draft_lines_recompute_the_totals_and_draft_terms_change(shop, api_client):
    api = api_client(roles.SALES)
    quote = created(post(api, "/quotes/", {"customer": shop.bakery.pk, "channel": shop.b2b.pk}))
    line = created(post(api, "/quote-lines/", {"document": quote["id"], "product": shop.mug.pk, "quantity": "4"}))
    assert (line["unit_price"], line["net_amount"], line["vat_rate"]) == ("8.250000", "33.00", "20.000")
    text = created(post(api, "/quote-lines/", {"document": quote["id"], "description": "Gravure", "unit_price": "5"}))
    assert text["kind"] == "text"
    changed = ok(api.patch(f"{API}/quote-lines/{line['id']}/", {"quantity": "2", "discount_percent": "10"}, format="json"))
    assert changed["net_amount"] == "14.85"
    assert api.delete(f"{API}/quote-lines/{text['id']}/").status_code == 204

    quote = ok(
        api.patch(f"{API}/quotes/{quote['id']}/", {"payment_terms": "net_60", "note": "Livraison le matin"}, format="json")
    )
    assert (quote["total_excl_tax"], quote["payment_terms"], quote["note"]) == ("14.85", "net_60", "Livraison le matin")
    quote = ok(api.patch(f"{API}/quotes/{quote['id']}/", {"discount_percent": "10"}, format="json"))
    assert (quote["allowance_total"], quote["total_excl_tax"]) == ("1.49", "13.36")


def test_an_invoice_made_from_several_delivery_notes_or_typed_directly(shop, api_client):
    api = api_client(roles.SALES)
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 5}])
    )
    line = order.lines.get()
    notes = []
    for quantity in (2, 3):
        note = services.create_delivery_note(order, quantities={line.pk: quantity})
        notes.append(services.ship_delivery_note(note).pk)
    invoice = created(post(api, "/invoices/", {"delivery_notes": notes}))
    assert [row["quantity"] for row in invoice["lines"]] == ["2.000", "3.000"] and invoice["total_excl_tax"] == "41.25"

    direct = created(
        post(
            api,
            "/invoices/",
            {"customer": shop.bakery.pk, "channel": shop.b2b.pk, "lines": [{"product": shop.fitting.pk, "quantity": "2"}]},
        )
    )
    assert (direct["orders"], direct["total_excl_tax"], direct["total_incl_tax"]) == ([], "120.00", "144.00")
    refused(post(api, "/invoices/", {"channel": shop.b2b.pk}), 400, "customer")
    refused(post(api, "/invoices/", {"orders": [order.pk], "customer": shop.bakery.pk}), 400, "customer")


def test_deposits_vouchers_refunds_and_customer_credit(shop, api_client):
    api = api_client(roles.SALES)
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 10}])
    )
    deposit = created(post(api, f"/orders/{order.pk}/deposit/", {"amount": "30.00", "method": "card"}))
    assert (deposit["kind"], deposit["status"], deposit["total_incl_tax"], deposit["balance"]) == (
        "deposit",
        "issued",
        "30.00",
        "0.00",
    )
    refused(post(api, f"/orders/{order.pk}/cancel/"), 409, "acompte")
    refused(post(api, f"/orders/{order.pk}/deposit/", {"amount": "100.00", "method": "card"}), 400, "amount")

    voucher = created(post(api, "/vouchers/", {"customer": shop.bakery.pk, "amount": "25.00", "method": "cash"}))
    assert voucher["sold"] is True and voucher["balance"] == "25.00"
    assert Payment.objects.filter(purpose=Payment.Purpose.VOUCHER_SALE, voucher_id=voucher["id"]).count() == 1

    invoice = issued_invoice(shop, quantity=1)  # 9.90 TTC
    spent = created(
        post(
            api,
            "/payments/",
            {
                "customer": shop.bakery.pk,
                "amount": "5.00",
                "method": "voucher",
                "voucher_code": voucher["code"],
                "invoices": [invoice.pk],
            },
        )
    )
    assert spent["voucher_code"] == voucher["code"] and spent["allocated"] == "5.00"
    assert ok(api.get(f"{API}/vouchers/{voucher['id']}/"))["balance"] == "20.00"

    unallocated = created(post(api, "/payments/", {"customer": shop.bakery.pk, "amount": "20.00", "method": "cheque"}))
    assert unallocated["allocated"] == "0.00"
    paid = ok(post(api, f"/invoices/{invoice.pk}/apply-credit/"))
    assert paid["balance"] == "0.00"  # 4.90 of the cheque's 20.00 settled the rest

    second = issued_invoice(shop, quantity=1)
    allocated = ok(post(api, f"/payments/{unallocated['id']}/allocate/", {"invoice": second.pk, "amount": "9.90"}))
    assert allocated["allocated"] == "14.80" and queries.invoice_balance(second) == 0
    refused(post(api, f"/payments/{unallocated['id']}/allocate/", {"invoice": second.pk, "amount": "1.00"}), 409, "plus que")

    refund = created(post(api, "/payments/refund/", {"customer": shop.bakery.pk, "amount": "5.20", "method": "transfer"}))
    assert (refund["purpose"], refund["amount"]) == ("refund", "5.20")
    refused(post(api, "/payments/refund/", {"customer": shop.bakery.pk, "amount": "1.00", "method": "transfer"}), 409, "crédit")


# --- Refused transitions and bad input -----------------------------------------------------------


def test_refused_transitions_answer_409_with_the_reason(shop, api_client):
    api = api_client(roles.ADMINISTRATOR)
    quote = services.send_quote(services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug}]))
    refused(post(api, f"/quotes/{quote.pk}/send/"), 409, "Envoyé")
    refused(api.patch(f"{API}/quotes/{quote.pk}/", {"note": "trop tard"}, format="json"), 409, "plus un brouillon")
    ok(post(api, f"/quotes/{quote.pk}/refuse/", {"reason": "Trop cher"}))
    refused(post(api, f"/quotes/{quote.pk}/accept/"), 409, "Refusé")

    order = services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 2}])
    ok(post(api, f"/orders/{order.pk}/cancel/", {"reason": "Doublon"}))
    refused(post(api, f"/orders/{order.pk}/confirm/"), 409, "Annulée")
    refused(post(api, f"/orders/{order.pk}/deliver/"), 409, "Annulée")

    order = shipped_order(shop, quantity=2)
    refused(post(api, "/order-lines/", {"document": order.pk, "product": shop.jam.pk}), 409, "plus un brouillon")
    note = order.delivery_notes.get()
    refused(post(api, f"/delivery-notes/{note.pk}/ship/"), 409, "Expédié")
    refused(post(api, f"/orders/{order.pk}/cancel/"), 409, "Livrée")

    draft = services.invoice_order(order)
    refused(post(api, f"/invoices/{draft.pk}/pay/", {"amount": "1.00", "method": "cash"}), 409, "n'est pas émise")
    refused(post(api, f"/invoices/{draft.pk}/credit/", {"reason": "Erreur"}), 409, "facture émise")
    assert not Payment.objects.exists()
    ok(post(api, f"/invoices/{draft.pk}/issue/"))
    refused(post(api, f"/invoices/{draft.pk}/issue/"), 409, "Émise")
    refused(api.delete(f"{API}/invoices/{draft.pk}/"), 409, "Émise")
    refused(post(api, f"/orders/{order.pk}/invoice/"), 400, "déjà facturé")

    # Two drafts each crediting the whole invoice: the second one no longer fits when issued.
    first = created(post(api, f"/invoices/{draft.pk}/credit/", {"reason": "Retour"}))
    second = created(post(api, f"/invoices/{draft.pk}/credit/", {"reason": "Retour (doublon)"}))
    ok(post(api, f"/credit-notes/{first['id']}/issue/"))
    refused(post(api, f"/credit-notes/{second['id']}/issue/"), 409, "reste à créditer")
    refused(post(api, f"/credit-notes/{first['id']}/issue/"), 409, "Émis")
    assert CreditNote.objects.filter(status=CreditNote.Status.ISSUED).count() == 1
    assert api.delete(f"{API}/credit-notes/{second['id']}/").status_code == 204


def test_bad_input_gets_400_naming_the_field_and_changes_nothing(shop, api_client):
    api = api_client(roles.SALES)
    refused(post(api, "/quotes/", {"channel": shop.b2b.pk}), 400, "customer")
    refused(
        post(api, "/quotes/", {"customer": shop.bakery.pk, "channel": shop.b2b.pk, "lines": [{"quantity": "abc"}]}), 400, "lines"
    )
    refused(post(api, "/quotes/", {"customer": shop.bakery.pk, "channel": shop.b2b.pk, "lines": [{"code": "NOPE"}]}), 400, "code")
    other = customer("Crêperie Ar Men")
    address = other.addresses.get()
    refused(
        post(api, "/orders/", {"customer": shop.bakery.pk, "channel": shop.b2b.pk, "delivery_address_id": address.pk}),
        400,
        "delivery_address_id",
    )
    assert not Quote.objects.exists() and not Order.objects.exists()

    invoice = issued_invoice(shop, quantity=3)
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 2}])
    )
    other_line = invoice.lines.get().order_line_id  # a line of another order
    body = refused(
        post(api, f"/orders/{order.pk}/deliver/", {"lines": [{"order_line": other_line, "quantity": "1"}]}), 400, "order_line"
    )
    assert "lines" in body
    refused(
        post(api, f"/orders/{order.pk}/deliver/", {"lines": [{"order_line": order.lines.get().pk, "quantity": "3"}]}),
        400,
        "quantity",
    )
    assert not DeliveryNote.objects.filter(order=order).exists()

    refused(post(api, f"/invoices/{invoice.pk}/pay/", {"amount": "-5", "method": "cash"}), 400, "amount")
    refused(post(api, f"/invoices/{invoice.pk}/pay/", {"amount": "5", "method": "bitcoin"}), 400, "method")
    refused(
        post(api, "/payments/", {"customer": other.pk, "amount": "5", "method": "cash", "invoices": [invoice.pk]}),
        400,
        "invoices",
    )
    assert not Payment.objects.exists()

    line = invoice.lines.get()
    refused(
        post(api, f"/invoices/{invoice.pk}/credit/", {"reason": "Retour", "lines": [{"invoice_line": line.pk, "quantity": "4"}]}),
        400,
        "lines[0].quantity",
    )
    refused(post(api, f"/invoices/{invoice.pk}/credit/", {"reason": " "}), 400, "reason")
    assert not CreditNote.objects.exists()
    assert api.put(f"{API}/quotes/1/", {}, format="json").status_code == 405


# --- Idempotency ---------------------------------------------------------------------------------


def test_an_idempotency_key_replayed_creates_nothing_more_and_gets_the_same_answer(shop, api_client):
    api = api_client(roles.SALES)
    order = shipped_order(shop, quantity=4)

    first = post(api, f"/orders/{order.pk}/invoice/", HTTP_IDEMPOTENCY_KEY="facture-commande-1")
    again = post(api, f"/orders/{order.pk}/invoice/", HTTP_IDEMPOTENCY_KEY="facture-commande-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Invoice.objects.filter(orders=order).count() == 1
    invoice_id = first.json()["id"]
    ok(post(api, f"/invoices/{invoice_id}/issue/", HTTP_IDEMPOTENCY_KEY="emission-1"))

    paying = {"amount": "20.00", "method": PaymentMethod.CHEQUE, "reference": "CHQ 884"}
    first = post(api, f"/invoices/{invoice_id}/pay/", paying, HTTP_IDEMPOTENCY_KEY="cheque-884")
    again = post(api, f"/invoices/{invoice_id}/pay/", paying, HTTP_IDEMPOTENCY_KEY="cheque-884")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1 and queries.invoice_balance(Invoice.objects.get(pk=invoice_id)) == Decimal("19.60")

    # Without a key, a second call is a second payment; the same key on another request is refused.
    created(post(api, f"/invoices/{invoice_id}/pay/", paying))
    assert Payment.objects.count() == 2
    refused(post(api, f"/invoices/{invoice_id}/issue/", HTTP_IDEMPOTENCY_KEY="cheque-884"), 409, "autre requête")


# --- Permissions ---------------------------------------------------------------------------------


def test_roles_get_403_without_the_permission(shop, api_client, client):
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 2}])
    )
    warehouse = api_client(roles.WAREHOUSE)
    assert warehouse.get(f"{API}/orders/").status_code == 200
    assert warehouse.get(f"{API}/invoices/").status_code == 403
    assert post(warehouse, f"/orders/{order.pk}/confirm/").status_code == 403
    note = created(post(warehouse, f"/orders/{order.pk}/deliver/"))
    ok(post(warehouse, f"/delivery-notes/{note['id']}/ship/"))
    assert post(warehouse, f"/orders/{order.pk}/invoice/").status_code == 403

    invoice = services.issue_invoice(services.invoice_order(order))
    accountant = api_client(roles.ACCOUNTANT)
    assert accountant.get(f"{API}/invoices/{invoice.pk}/").status_code == 200
    assert post(accountant, f"/invoices/{invoice.pk}/pay/", {"amount": "1", "method": "cash"}).status_code == 403
    assert post(accountant, "/quotes/", {"customer": shop.bakery.pk, "channel": shop.b2b.pk}).status_code == 403

    customer_service = api_client(roles.CUSTOMER_SERVICE)
    created(post(customer_service, f"/invoices/{invoice.pk}/credit/", {"reason": "Geste commercial"}))
    assert post(customer_service, f"/invoices/{invoice.pk}/pay/", {"amount": "1", "method": "cash"}).status_code == 403
    assert client.get(f"{API}/invoices/").status_code == 401
    assert not Payment.objects.exists()


# --- Lists ---------------------------------------------------------------------------------------


def test_lists_filter_and_search(shop, api_client):
    api = api_client(roles.ACCOUNTANT)
    paid, unpaid = issued_invoice(shop, quantity=1), issued_invoice(shop, quantity=2)
    services.record_payment(customer=shop.bakery, amount=paid.amount_due, method=PaymentMethod.CARD, invoices=[paid])
    crêperie = customer("Crêperie Ar Men")
    services.create_order(customer=crêperie, channel=shop.phone, lines=[{"product": shop.jam}])

    def ids(url):
        return [row["id"] for row in ok(api.get(f"{API}{url}"))["results"]]

    assert ids("/invoices/?unpaid=true") == [unpaid.pk]
    assert ids(f"/invoices/?customer={shop.bakery.pk}&status=issued&ordering=number") == [paid.pk, unpaid.pk]
    assert ids(f"/invoices/?search={unpaid.number}") == [unpaid.pk]
    assert ids(f"/payments/?invoice={paid.pk}") == list(Payment.objects.values_list("pk", flat=True))
    assert len(ids("/orders/?search=creperie")) == 1  # accents and case ignored
    assert len(ids(f"/orders/?channel={shop.phone.pk}&status=draft")) == 1
    assert len(ids(f"/delivery-notes/?customer={shop.bakery.pk}&status=shipped")) == 2
    assert ids("/channels/?kind=web") == [shop.web.pk]


# Each list, whatever the number of rows: token, permissions, count (not in the lists paged by
# cursor), rows, prefetches.
LISTS = {
    "/channels/": 6,
    "/quotes/": 6,
    "/quote-lines/": 6,
    "/orders/": 8,
    "/order-lines/": 6,
    "/delivery-notes/": 6,
    "/delivery-note-lines/": 6,
    "/invoices/": 9,
    "/invoice-lines/": 6,
    "/credit-notes/": 6,
    "/payments/": 6,
    "/vouchers/": 6,
}


# The lists that grow with the years page by cursor (lmb.api_access.CursorPagination): no count.
CURSOR_LISTS = ["/quotes/", "/orders/", "/delivery-notes/", "/invoices/", "/credit-notes/", "/payments/"]


def add_chains(shop, count):
    """``count`` of each document: quotes, orders shipped in two deliveries, invoices paid in
    part, credit notes, payments and vouchers."""
    for _ in range(count):
        quote = services.send_quote(
            services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.lamp, "quantity": 2}])
        )
        order = services.confirm_order(services.accept_quote(quote))
        line = order.lines.get(kind="product")
        services.ship_delivery_note(services.create_delivery_note(order, quantities={line.pk: 1}))
        services.ship_delivery_note(services.create_delivery_note(order))
        invoice = services.issue_invoice(services.invoice_order(order))
        services.record_payment(customer=shop.bakery, amount="10", method=PaymentMethod.CARD, invoices=[invoice])
        services.issue_credit_note(services.create_credit_note(invoice, reason="Retour", settlement="voucher"))
        services.sell_voucher(amount="15", method=PaymentMethod.CASH, customer=shop.bakery)


def count_queries(api, url):
    response, count = get_counting_queries(api, f"{API}{url}")
    assert response.json()["results"], url
    return count


def test_api_lists_take_a_fixed_number_of_queries(shop, api_client, django_assert_max_num_queries):
    api = api_client(roles.ADMINISTRATOR)
    add_chains(shop, 2)
    few = {url: count_queries(api, url) for url in LISTS}
    add_chains(shop, 18)
    assert Invoice.objects.count() == 20 and Voucher.objects.count() == 40
    for url, pinned in LISTS.items():
        with django_assert_max_num_queries(pinned):
            response = api.get(f"{API}{url}")
        assert response.status_code == 200, url
    many = {url: count_queries(api, url) for url in LISTS}
    assert many == few
    # A page reached by its cursor costs what the first page costs.
    for url in CURSOR_LISTS:
        following = ok(api.get(f"{API}{url}", {"page_size": 5}))["next"]
        with django_assert_max_num_queries(LISTS[url]):
            assert ok(api.get(following))["results"], url


def quotes_with_drafts_and_ties(shop):
    """Seven quotes: two drafts (no number, no date), amounts tied by twos and threes."""
    quotes = []
    for index in range(7):
        quote = services.create_quote(
            customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 1 + index % 2}]
        )
        quotes.append(quote if index % 3 == 1 else services.send_quote(quote))
    return list(Quote.objects.all())


def null_last(value):
    """A sort key where NULL is above every value, as PostgreSQL's indexes keep it: last
    ascending, first descending."""
    return (value is None, value or "")


@pytest.mark.parametrize("ordering", ["number", "-number", "quote_date", "-quote_date", "total_incl_tax", "-total_incl_tax"])
@pytest.mark.parametrize("link", ["next", "previous"])
def test_document_lists_page_through_drafts_and_ties(shop, api_client, ordering, link):
    quotes = quotes_with_drafts_and_ties(shop)
    assert Quote.objects.filter(number=None).count() == 2
    field, descending = ordering.lstrip("-"), ordering.startswith("-")
    expected = sorted(quotes, key=lambda quote: (null_last(getattr(quote, field)), quote.pk), reverse=descending)
    ids, pages = walk_pages(api_client(), f"{API}/quotes/", {"ordering": ordering, "page_size": 2}, link=link)
    assert ids == [quote.pk for quote in expected]
    assert pages == 4


def test_document_lists_are_newest_first_by_default(shop, api_client):
    api = api_client()
    quotes_with_drafts_and_ties(shop)
    issued_invoice(shop, quantity=1)
    draft = services.invoice_order(shipped_order(shop, quantity=2))
    invoices = ok(api.get(f"{API}/invoices/"))["results"]
    assert [row["id"] for row in invoices] == [
        draft.pk,
        *Invoice.objects.exclude(pk=draft.pk).order_by("-invoice_date", "-pk").values_list("pk", flat=True),
    ]
    quotes = ok(api.get(f"{API}/quotes/"))["results"]
    assert [row["id"] for row in quotes] == list(Quote.objects.order_by("-created_at", "-pk").values_list("pk", flat=True))
    notes = ok(api.get(f"{API}/delivery-notes/"))["results"]
    assert [row["id"] for row in notes] == sorted((row["id"] for row in notes), reverse=True)


def test_document_lists_offer_only_the_sorts_an_index_serves(shop, api_client):
    api = api_client()
    issued_invoice(shop, quantity=1), issued_invoice(shop, quantity=3)
    default = ok(api.get(f"{API}/invoices/"))["results"]
    for ordering in ("balance", "-total_excl_tax", "valid_until"):  # not offered: ignored, the default order
        assert ok(api.get(f"{API}/invoices/", {"ordering": ordering}))["results"] == default
    assert [row["id"] for row in ok(api.get(f"{API}/invoices/", {"ordering": "-total_incl_tax"}))["results"]] == list(
        Invoice.objects.order_by("-total_incl_tax", "-pk").values_list("pk", flat=True)
    )
    # A search with a filter that joins (DISTINCT), page by page.
    order = shipped_order(shop, quantity=4)
    invoice = services.invoice_order(order)
    params = {"order": order.pk, "search": "goff", "ordering": "-customer_name", "page_size": 1}
    assert walk_pages(api, f"{API}/invoices/", params) == ([invoice.pk], 1)
    params = {"search": "goff", "ordering": "customer_name", "page_size": 1}
    assert walk_pages(api, f"{API}/invoices/", params)[0] == list(Invoice.objects.order_by("pk").values_list("pk", flat=True))


@pytest.mark.django_db
def test_an_order_created_with_its_carrier_ships_with_it_unless_another_is_given(shop, api_client):
    api = api_client()
    order = created(
        post(
            api,
            "/orders/",
            {
                "customer": shop.bakery.pk,
                "channel": shop.b2b.pk,
                "carrier": "Chronopost",
                "lines": [{"product": shop.mug.pk, "quantity": "2"}],
            },
        )
    )
    assert order["carrier"] == "Chronopost"
    ok(post(api, f"/orders/{order['id']}/confirm/"))
    note = created(post(api, f"/orders/{order['id']}/deliver/"))
    assert note["carrier"] == "Chronopost"
    note = ok(post(api, f"/delivery-notes/{note['id']}/ship/", {"tracking_number": "XY1"}))
    assert (note["carrier"], note["tracking_number"]) == ("Chronopost", "XY1")
    refused(post(api, "/orders/", {"customer": shop.bakery.pk, "channel": shop.b2b.pk, "carrier": "x" * 101}), 400, "carrier")
