"""The till's REST API (issue #20): a tablet front opens a session with its float, rings up sales
(scans merged, tenders and change to the cent, the goods leaving the register's warehouse),
takes returns, reprints tickets, moves cash and closes the session with the drawer counted;
closures and events are read only. Refusals are French and name the field (400), a refused
transition is 409, the roles are kept (403), an Idempotency-Key replay creates nothing."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from lmb import roles
from lmb import services as lmb_services
from sales.models import Invoice, Order, Payment
from sales.till import services as till_services
from sales.till.models import CashMovement, Closure, Register, Ticket, TillEvent, TillSession
from tests.factories import UserFactory
from tests.sales.till_fixtures import on_hand

API = "/api/v1/till"


def client_of(user) -> APIClient:
    _token, key = lmb_services.create_api_token(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def opened(till, amount="100.00"):
    return till_services.open_session(register=till.register, user=till.cashier, opening_float=Decimal(amount))


@pytest.fixture
def cashier(till):
    return client_of(till.cashier)


# --- Sessions ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_cashier_opens_a_session_with_its_float_once_per_register(till, cashier):
    response = cashier.post(f"{API}/sessions/", {"register": till.register.pk, "opening_float": "150.00"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["register"], body["status"], body["opening_float"], body["opened_by"]) == (
        till.register.pk,
        "open",
        "150.00",
        till.cashier.pk,
    )
    again = cashier.post(f"{API}/sessions/", {"register": till.register.pk, "opening_float": "10"}, format="json")
    assert again.status_code == 409
    assert "déjà une session ouverte" in again.json()["register"][0]
    assert TillSession.objects.count() == 1
    assert TillEvent.objects.filter(kind="session_opened").count() == 1


@pytest.mark.django_db
def test_a_negative_float_is_refused_in_french_and_opens_nothing(till, cashier):
    response = cashier.post(f"{API}/sessions/", {"register": till.register.pk, "opening_float": "-5.00"}, format="json")
    assert response.status_code == 400
    assert "négatif" in response.json()["opening_float"][0]
    assert not TillSession.objects.exists()


@pytest.mark.django_db
def test_closing_counts_the_drawer_and_closing_twice_is_a_conflict(till, cashier):
    session = opened(till, "100.00")
    url = f"{API}/sessions/{session.pk}/close/"
    # 50 + 2 × 20 + 5 + 2 × 2 = 99 € counted for 100 € expected: a reason is needed
    count = {"50.00": 1, "20": 2, "5": 1, "2.00": 2}
    missing = cashier.post(url, {"counted_cash": count}, format="json")
    assert missing.status_code == 400
    assert "motif" in missing.json()["difference_reason"][0]
    assert TillSession.objects.get().status == "open"
    closed = cashier.post(url, {"counted_cash": count, "difference_reason": "Erreur de rendu"}, format="json")
    assert closed.status_code == 200, closed.json()
    body = closed.json()
    assert (body["status"], body["counted_total"], body["expected_cash"], body["difference"]) == (
        "closed",
        "99.00",
        "100.00",
        "-1.00",
    )
    twice = cashier.post(url, {"counted_cash": count, "difference_reason": "x"}, format="json")
    assert twice.status_code == 409
    assert "déjà clôturée" in twice.json()["session"][0]


@pytest.mark.django_db
def test_an_unknown_denomination_is_refused_naming_the_field(till, cashier):
    session = opened(till)
    response = cashier.post(f"{API}/sessions/{session.pk}/close/", {"counted_cash": {"3.00": 1}}, format="json")
    assert response.status_code == 400
    assert "ni un billet ni une pièce" in response.json()["counted_cash"][0]


@pytest.mark.django_db
def test_cash_movements_and_the_figures_of_the_session(till, cashier):
    session = opened(till, "100.00")
    url = f"{API}/sessions/{session.pk}/cash-movements/"
    no_reason = cashier.post(url, {"kind": "expense", "amount": "12.50"}, format="json")
    assert no_reason.status_code == 400 and "motif" in no_reason.json()["reason"][0]
    spent = cashier.post(url, {"kind": "expense", "amount": "12.50", "reason": "Timbres"}, format="json")
    assert spent.status_code == 201, spent.json()
    assert CashMovement.objects.get().amount == Decimal("12.50")
    figures = cashier.get(f"{API}/sessions/{session.pk}/figures/").json()
    assert figures["expected_cash"] == "87.50"
    assert figures["cash_movements"]["expense"] == "12.50"


# --- Sales ---------------------------------------------------------------------------------------


def sale_body(till, tenders, **extra):
    jam, mug = till.shop.jam, till.shop.mug
    return {
        "lines": [{"code": jam.ean13}, {"product": mug.pk}, {"code": jam.ean13}, {"code": jam.ean13}],
        "tenders": tenders,
        **extra,
    }


@pytest.mark.django_db
def test_a_sale_merges_scans_gives_change_and_leaves_the_registers_warehouse(till, cashier):
    session = opened(till, "50.00")
    # 3 jars (12,60) + a mug (9,90) = 22,50: 10,01 by card and a 20 € note → 7,51 of change
    tenders = [{"method": "card", "amount": "10.01"}, {"method": "cash", "amount": "20.00"}]
    response = cashier.post(f"{API}/sessions/{session.pk}/sales/", sale_body(till, tenders), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["change"] == "7.51"
    assert body["invoice"]["status"] == "issued" and body["invoice"]["total_incl_tax"] == "22.50"
    quantities = sorted(Decimal(line["quantity"]) for line in body["invoice"]["lines"])
    assert quantities == [1, 3]  # the jar scanned three times is one line of 3
    ticket = Ticket.objects.get()
    assert (body["ticket"]["id"], body["ticket"]["number"], ticket.session, ticket.user) == (
        ticket.pk,
        body["invoice"]["number"],
        session,
        till.cashier,
    )
    assert body["ticket"]["receipt"]["58"]["txt"] == f"{API}/tickets/{ticket.pk}/receipt/?format=txt&width=58"
    assert on_hand(till.shop.jam, till.boutique) == 47 and on_hand(till.shop.jam, till.shop.warehouse) == 100
    kept = {payment.method: payment.amount for payment in Payment.objects.all()}
    assert kept == {"card": Decimal("10.01"), "cash": Decimal("12.49")}
    figures = cashier.get(f"{API}/sessions/{session.pk}/figures/").json()
    assert (figures["sales_count"], figures["sales_total"], figures["expected_cash"]) == (1, "22.50", "62.49")


@pytest.mark.django_db
def test_a_sale_short_of_money_is_refused_and_leaves_nothing(till, cashier):
    session = opened(till)
    response = cashier.post(
        f"{API}/sessions/{session.pk}/sales/", sale_body(till, [{"method": "cash", "amount": "5.00"}]), format="json"
    )
    assert response.status_code == 400
    assert "Il manque 17,50\u00a0€" in response.json()["amount"][0]
    assert not Order.objects.exists() and not Invoice.objects.exists() and not Ticket.objects.exists()
    assert on_hand(till.shop.jam, till.boutique) == 50


@pytest.mark.django_db
def test_an_unknown_code_names_the_field(till, cashier):
    session = opened(till)
    body = {"lines": [{"code": "NOPE-404"}], "tenders": [{"method": "cash", "amount": "5"}]}
    response = cashier.post(f"{API}/sessions/{session.pk}/sales/", body, format="json")
    assert response.status_code == 400
    assert "Aucun produit n'a le code « NOPE-404 »" in response.json()["code"][0]
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_a_discount_over_the_cashiers_limit_is_refused(till, cashier):
    session = opened(till)
    body = {"lines": [{"product": till.shop.mug.pk, "discount_percent": "25"}], "tenders": [{"method": "cash", "amount": "50"}]}
    response = cashier.post(f"{API}/sessions/{session.pk}/sales/", body, format="json")
    assert response.status_code == 400
    assert "au-delà de votre plafond" in next(iter(response.json().values()))[0]
    assert not Invoice.objects.exists()


@pytest.mark.django_db
def test_an_idempotency_key_replay_creates_no_second_sale(till, cashier):
    session = opened(till)
    url = f"{API}/sessions/{session.pk}/sales/"
    body = sale_body(till, [{"method": "cash", "amount": "30"}])
    first = cashier.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="sale-0001")
    replay = cashier.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="sale-0001")
    assert first.status_code == replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    assert Ticket.objects.count() == 1 and Invoice.objects.count() == 1


@pytest.mark.django_db
def test_a_sale_in_a_closed_session_is_a_conflict(till, cashier):
    session = opened(till, "0")
    till_services.close_session(session, user=till.cashier, counted_cash={})
    body = sale_body(till, [{"method": "cash", "amount": "30"}])
    response = cashier.post(f"{API}/sessions/{session.pk}/sales/", body, format="json")
    assert response.status_code == 409
    assert "clôturée" in response.json()["session"][0]


# --- Returns, tickets ----------------------------------------------------------------------------


def sold(till, cashier, session):
    url = f"{API}/sessions/{session.pk}/sales/"
    return cashier.post(url, sale_body(till, [{"method": "cash", "amount": "22.50"}]), format="json").json()


@pytest.mark.django_db
def test_a_return_refunds_in_cash_and_puts_the_goods_back(till, cashier):
    session = opened(till, "50.00")
    sale = sold(till, cashier, session)
    jar_line = next(line for line in sale["invoice"]["lines"] if line["product"] == till.shop.jam.pk)
    body = {"ticket": sale["ticket"]["id"], "lines": [{"invoice_line": jar_line["id"], "quantity": "2"}]}
    response = cashier.post(f"{API}/sessions/{session.pk}/returns/", body, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["kind"], response.json()["total_incl_tax"]) == ("return", "8.40")
    assert on_hand(till.shop.jam, till.boutique) == 49
    figures = cashier.get(f"{API}/sessions/{session.pk}/figures/").json()
    assert (figures["returns_total"], figures["expected_cash"]) == ("8.40", "64.10")


@pytest.mark.django_db
def test_a_return_of_more_than_sold_is_refused_and_changes_nothing(till, cashier):
    session = opened(till)
    sale = sold(till, cashier, session)
    jar_line = next(line for line in sale["invoice"]["lines"] if line["product"] == till.shop.jam.pk)
    lines = [{"invoice_line": jar_line["id"], "quantity": "4"}]
    body = {"invoice": sale["invoice"]["id"], "lines": lines, "settlement": "voucher"}
    response = cashier.post(f"{API}/sessions/{session.pk}/returns/", body, format="json")
    assert response.status_code == 400, response.json()
    assert Ticket.objects.filter(kind="return").count() == 0
    assert on_hand(till.shop.jam, till.boutique) == 47


@pytest.mark.django_db
def test_a_reprint_is_counted_and_numbered(till, cashier):
    session = opened(till)
    ticket_id = sold(till, cashier, session)["ticket"]["id"]
    first = cashier.post(f"{API}/tickets/{ticket_id}/reprint/")
    second = cashier.post(f"{API}/tickets/{ticket_id}/reprint/")
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (1, 2)
    assert second.json()["ticket"]["reprints"] == 2 and Ticket.objects.get().reprints == 2
    assert TillEvent.objects.filter(kind="reprint").count() == 2
    listed = cashier.get(f"{API}/tickets/", {"session": session.pk}).json()
    assert [row["id"] for row in listed["results"]] == [ticket_id]


# --- Receipts: the files behind the links, for a client with a token ----------------------------


@pytest.mark.django_db
def test_the_receipt_links_serve_the_ticket_to_a_token_client(till, cashier):
    session = opened(till)
    # 22,50 paid with 30 € in cash: 7,50 of change, printed on the ticket
    sale = cashier.post(
        f"{API}/sessions/{session.pk}/sales/", sale_body(till, [{"method": "cash", "amount": "30"}]), format="json"
    )
    links, number = sale.json()["ticket"]["receipt"], sale.json()["invoice"]["number"]
    assert not cashier.cookies  # the token alone: no browser session
    pdf = cashier.get(links["80"]["pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == f'inline; filename="ticket-{number}-80mm.pdf"'
    text = cashier.get(links["58"]["txt"])
    assert text.status_code == 200 and text["Content-Type"] == "text/plain; charset=utf-8"
    printed = text.content.decode()
    assert number in printed and "7,50" in printed and "DUPLICATA" not in printed
    assert max(len(line) for line in printed.splitlines()) <= 32  # the 58 mm roll's columns
    escpos = cashier.get(links["80"]["escpos"])
    assert escpos["Content-Type"] == "application/octet-stream" and escpos.content.startswith(b"\x1b@")
    assert escpos.content.endswith(b"\x1dVB\x00")  # cut
    assert Ticket.objects.get().reprints == 0 and not TillEvent.objects.filter(kind="reprint").exists()


@pytest.mark.django_db
def test_a_duplicate_prints_once_the_reprint_counted_it(till, cashier):
    ticket_id = sold(till, cashier, opened(till))["ticket"]["id"]
    early = cashier.get(f"{API}/tickets/{ticket_id}/receipt/", {"format": "txt", "duplicate": "1"})
    assert early.status_code == 400
    assert early.json() == {"duplicate": ["Le duplicata n° 1 n'a pas été demandé : réimprimez d'abord le ticket (0 à ce jour)."]}
    reprint = cashier.post(f"{API}/tickets/{ticket_id}/reprint/").json()
    link = reprint["receipt"]["80"]["txt"]
    assert link == f"{API}/tickets/{ticket_id}/receipt/?format=txt&width=80&duplicate=1"
    assert "*** DUPLICATA n° 1 ***" in cashier.get(link).content.decode()
    assert Ticket.objects.get().reprints == 1  # printing the duplicate counts nothing more


@pytest.mark.django_db
def test_a_user_whose_roles_do_not_read_tickets_gets_403(till, cashier):
    ticket_id = sold(till, cashier, opened(till))["ticket"]["id"]
    url = f"{API}/tickets/{ticket_id}/receipt/"
    for role in (roles.WAREHOUSE, roles.CUSTOMER_SERVICE):
        refused = client_of(UserFactory(roles=[role], username=f"no-till-{role}")).get(url, {"format": "pdf"})
        assert refused.status_code == 403 and refused["Content-Type"] == "application/json"
    assert APIClient().get(url).status_code == 401
    accountant = client_of(UserFactory(roles=[roles.ACCOUNTANT], username="compta"))
    assert accountant.get(url, {"format": "txt"}).status_code == 200  # reads, prints nothing new


@pytest.mark.django_db
def test_an_unknown_format_or_roll_is_a_400_in_french(till, cashier):
    ticket_id = sold(till, cashier, opened(till))["ticket"]["id"]
    url = f"{API}/tickets/{ticket_id}/receipt/"
    for unknown in ("docx", "json", "api"):  # not DRF's renderers either: the receipt's own parameter
        response = cashier.get(url, {"format": unknown})
        assert response.status_code == 400 and response["Content-Type"] == "application/json", unknown
        assert response.json() == {"format": ["Format de ticket inconnu : pdf, txt ou escpos."]}
    response = cashier.get(url, {"format": "txt", "width": "72"})
    assert response.status_code == 400 and response.json() == {"width": ["Largeur de rouleau inconnue : 80 ou 58 (mm)."]}
    response = cashier.get(url, {"duplicate": "0"})
    assert response.status_code == 400 and response.json() == {"duplicate": ["Un numéro de duplicata commence à 1."]}
    assert cashier.get(f"{API}/tickets/{ticket_id + 1000}/receipt/").status_code == 404


# --- Closures, events, registers, roles ---------------------------------------------------------


@pytest.mark.django_db
def test_closures_and_events_are_read_only(till, cashier):
    session = opened(till, "0")
    till_services.close_session(session, user=till.cashier, counted_cash={})
    closure = till_services.close_day(register=till.register, day=timezone.localdate(), user=till.cashier)
    listed = cashier.get(f"{API}/closures/").json()["results"]
    assert [(row["id"], row["kind"], row["grand_total"]) for row in listed] == [(closure.pk, "day", "0.00")]
    assert cashier.get(f"{API}/closures/{closure.pk}/").json()["content_hash"] == closure.content_hash
    manager = client_of(till.manager)  # every permission of sales: the route itself has no write
    assert manager.patch(f"{API}/closures/{closure.pk}/", {"grand_total": "1"}, format="json").status_code == 405
    assert manager.delete(f"{API}/closures/{closure.pk}/").status_code == 405
    kinds = [row["kind"] for row in cashier.get(f"{API}/events/", {"session": session.pk}).json()["results"]]
    assert kinds == ["session_closed", "session_opened"]
    assert manager.post(f"{API}/events/", {}, format="json").status_code == 405
    assert Closure.objects.count() == 1


@pytest.mark.django_db
def test_only_administrators_set_registers_up(till, cashier):
    manager = client_of(till.manager)
    body = {"code": "c3", "name": "Caisse 3", "channel": till.shop.counter.pk, "warehouse": till.boutique.pk}
    assert cashier.post(f"{API}/registers/", body, format="json").status_code == 403
    created = manager.post(f"{API}/registers/", body, format="json")
    assert created.status_code == 201, created.json()
    assert Register.objects.get(pk=created.json()["id"]).code == "C3"
    b2b = manager.post(f"{API}/registers/", {**body, "code": "C4", "channel": till.shop.b2b.pk}, format="json")
    assert b2b.status_code == 400 and "comptoir" in b2b.json()["channel"][0]
    assert len(cashier.get(f"{API}/registers/").json()["results"]) == 3


@pytest.mark.django_db
def test_an_accountant_reads_the_till_and_writes_nothing(till):
    session = opened(till)
    accountant = client_of(UserFactory(roles=[roles.ACCOUNTANT], username="compta"))
    assert accountant.get(f"{API}/sessions/{session.pk}/figures/").status_code == 200
    assert accountant.get(f"{API}/tickets/").status_code == 200
    sale = sale_body(till, [{"method": "cash", "amount": "30"}])
    refused = [
        accountant.post(f"{API}/sessions/", {"register": till.other_register.pk, "opening_float": "0"}, format="json"),
        accountant.post(f"{API}/sessions/{session.pk}/close/", {"counted_cash": {}}, format="json"),
        accountant.post(f"{API}/sessions/{session.pk}/sales/", sale, format="json"),
        accountant.post(f"{API}/sessions/{session.pk}/cash-movements/", {"kind": "deposit", "amount": "5"}, format="json"),
    ]
    assert [response.status_code for response in refused] == [403] * 4
    assert TillSession.objects.count() == 1 and not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_return_as_a_voucher_pays_a_later_sale(till, cashier):
    session = opened(till, "0")
    sale = sold(till, cashier, session)
    mug_line = next(line for line in sale["invoice"]["lines"] if line["product"] == till.shop.mug.pk)
    body = {"ticket": sale["ticket"]["id"], "lines": [{"invoice_line": mug_line["id"], "quantity": "1"}], "settlement": "voucher"}
    returned = cashier.post(f"{API}/sessions/{session.pk}/returns/", body, format="json")
    assert returned.status_code == 201, returned.json()
    voucher = Invoice.objects.get(pk=sale["invoice"]["id"]).credit_notes.get().vouchers.get()
    assert voucher.amount == Decimal("9.90")
    figures = cashier.get(f"{API}/sessions/{session.pk}/figures/").json()
    assert (figures["vouchers_issued"], figures["expected_cash"]) == ("9.90", "22.50")  # no cash left the drawer
    # the voucher pays the next mug, to the cent
    pay = {
        "lines": [{"product": till.shop.mug.pk}],
        "tenders": [{"method": "voucher", "amount": "9.90", "voucher_code": voucher.code}],
    }
    response = cashier.post(f"{API}/sessions/{session.pk}/sales/", pay, format="json")
    assert response.status_code == 201, response.json()
    voucher.refresh_from_db()
    assert voucher.balance == 0 and response.json()["change"] == "0.00"


@pytest.mark.django_db
def test_a_manager_grants_a_ticket_discount_beyond_the_limit_and_it_is_logged(till):
    session = till_services.open_session(register=till.register, user=till.manager, opening_float=Decimal("0"))
    manager = client_of(till.manager)
    body = {"lines": [{"product": till.shop.mug.pk}], "discount_percent": "20", "tenders": [{"method": "cash", "amount": "10"}]}
    response = manager.post(f"{API}/sessions/{session.pk}/sales/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["invoice"]["total_incl_tax"] == "7.92"  # 9,90 less 20 %
    assert response.json()["change"] == "2.08"
    event = TillEvent.objects.get(kind="discount_over_threshold")
    assert event.user == till.manager and event.details["ticket"] == response.json()["ticket"]["id"]


@pytest.mark.django_db
def test_a_line_without_product_or_code_and_a_return_without_ticket_name_their_field(till, cashier):
    session = opened(till)
    sale = cashier.post(
        f"{API}/sessions/{session.pk}/sales/",
        {"lines": [{"quantity": "2"}], "tenders": [{"method": "cash", "amount": "5"}]},
        format="json",
    )
    assert sale.status_code == 400
    assert "Indiquez le produit (id) ou son code." in str(sale.json()["lines"]), sale.json()
    back = cashier.post(f"{API}/sessions/{session.pk}/returns/", {"lines": [{"invoice_line": 1, "quantity": "1"}]}, format="json")
    assert back.status_code == 400
    assert back.json()["ticket"] == ["Indiquez le ticket de vente (ou sa facture)."]
    assert not Order.objects.exists()
