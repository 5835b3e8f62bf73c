"""A voucher (bon d'achat) sold at the till belongs to the session (POS-01): its money counts in
the session's figures and expected cash, the Z shows it apart from the sales — no turnover, no
VAT (VOU-03) — its ticket prints the code, amount and validity, and it then pays a sale. A bad
amount is refused in French naming the field, and nothing changes."""

import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from lmb import roles
from lmb.errors import Conflict, InvalidInput
from sales import receipts
from sales.models import Payment, PaymentMethod, Voucher
from sales.till import archive, chain, queries
from sales.till import services as till_services
from sales.till.models import Closure, Ticket
from tests.factories import UserFactory
from tests.helpers import page_text
from tests.sales.test_till_api import API, client_of
from tests.sales.till_fixtures import sell

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def at(day: date, hour=10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=PARIS), tick=False)


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def opened(till, amount="100.00"):
    return till_services.open_session(register=till.register, user=till.cashier, opening_float=amount)


def nothing_sold():
    return not Voucher.objects.exists() and not Payment.objects.exists() and not Ticket.objects.exists()


def test_a_voucher_sold_in_cash_is_a_ticket_of_the_session_and_in_its_expected_cash(till):
    session = opened(till)
    ticket = till_services.sell_voucher_at_till(session=session, user=till.cashier, amount="30,00", method=PaymentMethod.CASH)
    till_services.sell_voucher_at_till(session=session, user=till.cashier, amount="20", method=PaymentMethod.CARD)
    sell(till, session, [{"product": till.shop.jam, "quantity": 1}])  # 4,20 in cash

    assert (ticket.kind, ticket.session, ticket.user, ticket.invoice, ticket.credit_note) == (
        Ticket.Kind.VOUCHER_SALE,
        session,
        till.cashier,
        None,
        None,
    )
    payment = ticket.payment
    assert (payment.purpose, payment.method, payment.amount, payment.customer) == (
        Payment.Purpose.VOUCHER_SALE,
        PaymentMethod.CASH,
        Decimal("30.00"),
        till.shop.walk_in,
    )
    assert (payment.voucher.amount, payment.voucher.balance, payment.voucher.sold) == (Decimal("30.00"), Decimal("30.00"), True)
    assert ticket.tendered == [{"method": "cash", "amount": "30.00"}] and ticket.number == payment.voucher.code

    figures = queries.session_figures(session)
    assert (figures.vouchers_sold_count, figures.vouchers_sold_total) == (2, Decimal("50.00"))
    assert figures.vouchers_sold == {"card": Decimal("20.00"), "cash": Decimal("30.00")}
    # the sales are the jam only: a voucher is not turnover
    assert (figures.sales_count, figures.sales_total, figures.tenders) == (1, Decimal("4.20"), {"cash": Decimal("4.20")})
    assert figures.expected_cash == Decimal("134.20")  # 100 float + 30 voucher + 4,20 jam; the card stays out of the drawer

    # the drawer counted to the cent closes without a difference
    closed = till_services.close_session(session, user=till.cashier, counted_cash={"100": 1, "20": 1, "10": 1, "2": 2, "0.20": 1})
    assert (closed.expected_cash, closed.difference) == (Decimal("134.20"), Decimal("0.00"))


def test_the_z_shows_the_vouchers_sold_apart_from_the_sales_and_their_vat(client, till):
    day = date(2026, 12, 4)
    with at(day):
        session = opened(till, "0")
        sell(till, session, [{"product": till.shop.mug, "quantity": 1}])  # 9,90 at 20 %, cash
        till_services.sell_voucher_at_till(session=session, user=till.cashier, amount="25", method=PaymentMethod.CASH)
        till_services.sell_voucher_at_till(session=session, user=till.manager, amount="15", method=PaymentMethod.CHEQUE)
        till_services.close_session(session, user=till.cashier, counted_cash={"20": 1, "10": 1, "2": 2, "0.50": 1, "0.20": 2})
        closure = till_services.close_day(register=till.register, day=day, user=till.cashier)

    closure.refresh_from_db()
    # turnover, VAT and the grand total are the mug's only
    assert (closure.ticket_count, closure.sales_total, closure.period_total, closure.grand_total) == (
        1,
        Decimal("9.90"),
        Decimal("9.90"),
        Decimal("9.90"),
    )
    assert [(group["rate"], group["net"], group["vat"], group["gross"]) for group in closure.totals["by_rate"]] == [
        ("20", "8.25", "1.65", "9.90")
    ]
    assert closure.totals["by_tender"] == {"cash": "9.90"}
    assert closure.totals["by_user"] == {str(till.cashier.pk): {"name": "yann", "tickets": 1, "total": "9.90"}}
    assert closure.totals["vouchers_sold"] == {"count": 2, "total": "40.00", "by_tender": {"cash": "25.00", "cheque": "15.00"}}
    assert chain.verify_closures() == (1, None)

    client.force_login(till.manager)
    page = plain(page_text(client.get(reverse("sales:till_closure", args=[closure.pk]))))
    assert "Bons d'achat vendus" in page and "2 bons d'achat vendus" in page and "40,00 €" in page
    assert "Hors chiffre d'affaires et sans TVA" in page
    text = plain(client.get(reverse("sales:till_closure_ticket", args=[closure.pk])).content.decode())
    assert "Bons d'achat vendus (hors CA, sans TVA)" in text and "40,00 €" in text and "Chèque" in text
    assert all(len(line) <= 48 for line in text.splitlines())

    # the month sums its days' vouchers sold, apart as well
    with at(date(2026, 12, 31), hour=20):
        month = till_services.close_month(register=till.register, year=2026, month=12, user=till.manager)
    assert month.totals["vouchers_sold"] == {"count": 2, "total": "40.00", "by_tender": {"cash": "25.00", "cheque": "15.00"}}
    assert (month.sales_total, month.grand_total) == (Decimal("9.90"), Decimal("9.90"))


def test_a_day_with_only_a_voucher_sold_must_be_closed_before_its_month(till):
    with at(date(2026, 11, 10)):
        session = opened(till, "0")
        till_services.sell_voucher_at_till(session=session, user=till.cashier, amount="10", method=PaymentMethod.CARD)
        till_services.close_session(session, user=till.cashier, counted_cash={})
    with at(date(2026, 11, 30), hour=20), pytest.raises(Conflict, match="10/11/2026"):
        till_services.close_month(register=till.register, year=2026, month=11, user=till.manager)
    with at(date(2026, 11, 30), hour=20):
        day = till_services.close_day(register=till.register, day=date(2026, 11, 10), user=till.manager)
        assert (day.ticket_count, day.period_total) == (0, Decimal("0.00"))
        assert day.totals["vouchers_sold"]["total"] == "10.00"
        till_services.close_month(register=till.register, year=2026, month=11, user=till.manager)
        with pytest.raises(Conflict, match="clôturée"):  # a closed day takes no more voucher
            till_services.sell_voucher_at_till(
                session=opened(till, "0"), user=till.cashier, amount="10", method=PaymentMethod.CASH
            )


def test_the_voucher_sold_then_pays_a_sale(till):
    session = opened(till, "0")
    code = till_services.sell_voucher_at_till(session=session, user=till.cashier, amount="12", method=PaymentMethod.CARD).number
    sale = sell(
        till,
        session,
        [{"product": till.shop.mug, "quantity": 1}],
        tenders=[{"method": PaymentMethod.VOUCHER, "amount": "9.90", "voucher_code": code.lower()}],
    )
    voucher = Voucher.objects.get(code=code)
    assert voucher.balance == Decimal("2.10") and sale.invoice.total_incl_tax == Decimal("9.90")
    figures = queries.session_figures(session)
    # the sale paid by the voucher is turnover with its VAT; the voucher's money came by card
    assert figures.tenders == {"voucher": Decimal("9.90")} and figures.vouchers_sold == {"card": Decimal("12.00")}
    assert figures.expected_cash == Decimal("0.00")


BAD_AMOUNTS = ["0", "0,00", "-5", "-0,01", "NaN", "Infinity", "9" * 40, "1000000000000", "abc", "", None]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_a_bad_amount_is_refused_naming_the_field_and_changes_nothing(till, amount):
    session = opened(till)
    with pytest.raises(InvalidInput) as refused:
        till_services.sell_voucher_at_till(session=session, user=till.cashier, amount=amount, method=PaymentMethod.CASH)
    assert list(refused.value.errors) == ["amount"]
    assert refused.value.errors["amount"][0].startswith("Montant du bon d'achat")
    assert nothing_sold()
    assert queries.session_figures(session).expected_cash == Decimal("100.00")


@pytest.mark.parametrize("method", [PaymentMethod.VOUCHER, PaymentMethod.TRANSFER, "bitcoin", ""])
def test_a_voucher_is_paid_in_cash_by_card_or_cheque_only(till, method):
    session = opened(till)
    with pytest.raises(InvalidInput) as refused:
        till_services.sell_voucher_at_till(session=session, user=till.cashier, amount="10", method=method)
    assert "Mode de règlement du bon d'achat" in refused.value.errors["method"][0]
    assert nothing_sold()


def test_no_voucher_is_sold_in_a_closed_session(till):
    session = opened(till, "0")
    till_services.close_session(session, user=till.cashier, counted_cash={})
    with pytest.raises(Conflict, match="clôturée"):
        till_services.sell_voucher_at_till(session=session, user=till.cashier, amount="10", method=PaymentMethod.CASH)
    assert nothing_sold()


def test_a_voucher_ticket_is_sealed_like_the_others(till):
    ticket = till_services.sell_voucher_at_till(session=opened(till), user=till.cashier, amount="10", method="cash")
    other = Payment.objects.create(
        customer=till.shop.walk_in, purpose="settlement", method="cash", amount=1, payment_date=date(2026, 12, 1)
    )
    for sql in (
        f"UPDATE sales_ticket SET payment_id = {other.pk} WHERE id = {ticket.pk}",
        f"UPDATE sales_ticket SET tendered = '[]' WHERE id = {ticket.pk}",
        f"DELETE FROM sales_ticket WHERE id = {ticket.pk}",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    ticket.refresh_from_db()
    assert ticket.payment_id != other.pk and ticket.tendered == [{"method": "cash", "amount": "10.00"}]


def test_the_voucher_receipt_prints_its_code_amount_and_validity_without_vat(till):
    ticket = till_services.sell_voucher_at_till(session=opened(till), user=till.cashier, amount="45,50", method="card")
    voucher = ticket.payment.voucher
    receipt = receipts.voucher_receipt(voucher, ticket.payment, issued_at=ticket.created_at, channel=till.shop.counter)
    for columns in (48, 32):
        text = plain(receipts.receipt_text(receipt, columns=columns))
        assert voucher.code in text and "45,50 €" in text and voucher.expires_on.strftime("%d/%m/%Y") in text
        assert "TOTAL (sans TVA)" in text and "Carte bancaire" in text and "TTC" not in text and "Total TVA" not in text
        assert "Client de passage" not in text  # the walk-in customer is nobody's name
        assert all(len(line) <= columns for line in text.splitlines())
    duplicate = receipts.voucher_receipt(voucher, ticket.payment, issued_at=ticket.created_at, duplicate_number=2)
    assert "DUPLICATA n° 2" in receipts.receipt_text(duplicate)
    assert receipts.receipt_pdf(receipt, width_mm=58).startswith(b"%PDF")


def test_the_till_screen_sells_a_voucher_prints_and_reprints_its_ticket(client, till):
    session = opened(till)
    client.force_login(till.cashier)
    sale_page = page_text(client.get(reverse("sales:till_sale", args=[session.pk])))
    url = reverse("sales:till_voucher_sale", args=[session.pk])
    assert f'href="{url}"' in sale_page and "Vendre un bon d'achat (F4)" in sale_page
    form = client.get(url)
    assert form.status_code == 200 and "Montant du bon d'achat" in page_text(form)

    done = client.post(url, {"amount": "1 234,50", "method": "cheque"})
    ticket = Ticket.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("sales:till_ticket", args=[ticket.pk])
    voucher = ticket.payment.voucher
    assert (voucher.amount, ticket.payment.method) == (Decimal("1234.50"), "cheque")
    page = plain(page_text(client.get(done["Location"])))
    assert f"Bon d'achat vendu — {voucher.code}" in page and "1 234,50 €" in page
    assert f"valable jusqu'au {voucher.expires_on:%d/%m/%Y}" in page and "Facture A4" not in page

    receipt_url = reverse("sales:till_ticket_receipt", args=[ticket.pk])
    pdf = client.get(receipt_url, {"width": "80"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and voucher.code in pdf["Content-Disposition"]
    text = plain(client.get(receipt_url, {"width": "58", "format": "txt"}).content.decode())
    assert voucher.code in text and "1 234,50 €" in text
    reprint = client.post(reverse("sales:till_ticket_reprint", args=[ticket.pk]))
    assert reprint.status_code == 302
    assert "DUPLICATA n° 1" in client.get(reprint["Location"] + "&format=txt").content.decode()
    ticket.refresh_from_db()
    assert ticket.reprints == 1

    session_page = plain(page_text(client.get(reverse("sales:till_session", args=[session.pk]))))
    assert voucher.code in session_page and "Vente de bon d'achat" in session_page
    assert "1 bon d'achat" in session_page and "Bons d'achat vendus" in session_page


SCREEN_REFUSALS = {
    "0": "Montant du bon d'achat : saisissez un montant positif.",
    "-5": "Montant du bon d'achat : saisissez un montant positif.",
    "NaN": "Montant du bon d'achat : montant illisible.",
    "abc": "Montant du bon d'achat : montant illisible.",
    "9" * 40: "Montant du bon d'achat : 9 999 999 999 999 999 999 999 999 999 999 999 999 999 est trop grand",
    "": "Ce champ est obligatoire.",
}


@pytest.mark.parametrize("amount", SCREEN_REFUSALS)
def test_the_screen_refuses_a_bad_amount_in_french_and_sells_nothing(client, till, amount):
    session = opened(till)
    client.force_login(till.cashier)
    response = client.post(reverse("sales:till_voucher_sale", args=[session.pk]), {"amount": amount, "method": "cash"})
    assert response.status_code == 400
    assert SCREEN_REFUSALS[amount] in plain(page_text(response))
    assert nothing_sold()


def test_the_api_sells_a_voucher_in_a_session(till):
    session = opened(till, "0")
    cashier = client_of(till.cashier)
    url = f"{API}/sessions/{session.pk}/vouchers/"
    sold = cashier.post(url, {"amount": "40.00", "method": "cash"}, format="json", HTTP_IDEMPOTENCY_KEY="voucher-1")
    assert sold.status_code == 201, sold.json()
    body = sold.json()
    voucher = Voucher.objects.get()
    assert (body["kind"], body["number"], body["total_incl_tax"], body["invoice"], body["credit_note"]) == (
        "voucher_sale",
        voucher.code,
        "40.00",
        None,
        None,
    )
    assert body["voucher"] == {"code": voucher.code, "amount": "40.00", "expires_on": voucher.expires_on.isoformat()}
    text_link = body["receipt"]["58"]["txt"]
    assert text_link == f"{API}/tickets/{body['id']}/receipt/?format=txt&width=58"
    printed = cashier.get(text_link)  # the token client prints the voucher's ticket itself
    assert printed.status_code == 200 and voucher.code in printed.content.decode() and "40,00" in printed.content.decode()
    replay = cashier.post(url, {"amount": "40.00", "method": "cash"}, format="json", HTTP_IDEMPOTENCY_KEY="voucher-1")
    assert replay.status_code == 201 and replay.json() == body and Voucher.objects.count() == 1

    figures = cashier.get(f"{API}/sessions/{session.pk}/figures/").json()
    assert (figures["vouchers_sold_count"], figures["vouchers_sold_total"], figures["expected_cash"]) == (1, "40.00", "40.00")
    assert figures["vouchers_sold"] == {"cash": "40.00"} and figures["sales_total"] == "0.00"
    listed = cashier.get(f"{API}/tickets/", {"kind": "voucher_sale"}).json()["results"]
    assert [ticket["number"] for ticket in listed] == [voucher.code]

    for bad in ("0", "-1", "NaN", "9" * 40):
        refused = cashier.post(url, {"amount": bad, "method": "cash"}, format="json")
        assert refused.status_code == 400 and list(refused.json()) == ["amount"], (bad, refused.json())
    wrong_method = cashier.post(url, {"amount": "10", "method": "voucher"}, format="json")
    assert wrong_method.status_code == 400 and "method" in wrong_method.json()
    assert Voucher.objects.count() == 1 and Ticket.objects.count() == 1

    accountant = client_of(UserFactory(roles=[roles.ACCOUNTANT]))
    assert accountant.post(url, {"amount": "10"}, format="json").status_code == 403


def test_the_archive_of_a_day_keeps_its_vouchers_sold_and_verifies(till):
    day = date(2026, 12, 2)
    with at(day):
        session = opened(till, "0")
        ticket = till_services.sell_voucher_at_till(session=session, user=till.cashier, amount="15", method="cash")
        till_services.close_session(session, user=till.cashier, counted_cash={"10": 1, "5": 1})
        closure = till_services.close_day(register=till.register, day=day, user=till.cashier)
    data = archive.build(Closure.objects.get(pk=closure.pk), user=till.manager)
    verification = archive.verify(data)
    assert verification.ok, verification.problems
    tickets = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("tickets.json"))
    assert tickets == [
        {
            "id": ticket.pk,
            "kind": "voucher_sale",
            "session": session.pk,
            "user": till.cashier.pk,
            "created_at": tickets[0]["created_at"],
            "voucher": ticket.payment.voucher.code,
            "amount": "15.00",
            "expires_on": ticket.payment.voucher.expires_on.isoformat(),
            "payment": {"id": ticket.payment.pk, "method": "cash", "amount": "15.00"},
            "tendered": [{"method": "cash", "amount": "15.00"}],
            "change": "0.00",
        }
    ]
