"""Receivables and the aged balance as of a date: a past date shows the picture of that day."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dunning import queries
from sales import services
from sales.models import CreditNote, ExchangeRate, PaymentMethod
from tests.dunning.conftest import invoice, on, pay
from tests.sales.conftest import customer

pytestmark = pytest.mark.django_db
SCHEDULE = [(date(2026, 2, 28), "600.00"), (date(2026, 3, 31), "600.00")]


def test_installments_are_settled_oldest_first_and_each_is_late_on_its_own(shop, business):
    day = date(2026, 3, 2)
    bill = invoice(shop, business, day, net="500.00", installments=[(date(2026, 3, 31), "200.00"), (date(2026, 4, 30), "400.00")])
    pay(bill, date(2026, 4, 2), amount=Decimal("150.00"))
    items = queries.receivables(as_of=date(2026, 5, 10))
    assert [(item.due_date, item.amount_due, item.days_late) for item in items] == [
        (date(2026, 3, 31), Decimal("50.00"), 40),
        (date(2026, 4, 30), Decimal("400.00"), 10),
    ]
    # On 15 April only the first installment was late.
    assert [(item.amount_due, item.days_late) for item in queries.receivables(as_of=date(2026, 4, 15))] == [
        (Decimal("50.00"), 15),
        (Decimal("400.00"), 0),
    ]


def test_paid_and_credited_invoices_are_not_receivables(shop, business):
    paid = invoice(shop, business, date(2026, 1, 5))
    credited = invoice(shop, business, date(2026, 1, 6))
    pay(paid, date(2026, 2, 1))
    with on(date(2026, 2, 3)):
        note = services.create_credit_note(credited, reason="Erreur de facturation", settlement=CreditNote.Settlement.BALANCE)
        services.issue_credit_note(note, issue_date=date(2026, 2, 3))
    assert queries.receivables(as_of=date(2026, 3, 1)) == []
    # Before the payment and the credit note, both were open.
    assert {item.invoice_id for item in queries.receivables(as_of=date(2026, 1, 31))} == {paid.pk, credited.pk}


def test_a_foreign_currency_invoice_is_shown_in_euros_at_its_stored_rate(shop):
    rate = ExchangeRate.objects.create(day=date(2026, 2, 2), currency="CHF", rate=Decimal("0.930000"))
    swiss = customer("Genève SA", country="CH", postal_code="1201")
    bill = invoice(shop, swiss, date(2026, 2, 3), currency="CHF", exchange_rate=rate.rate, exchange_rate_date=rate.day)
    [item] = queries.receivables(as_of=date(2026, 4, 1))
    assert item.currency == "CHF" and item.amount_due == bill.amount_due
    assert item.amount_due_eur == (bill.amount_due / Decimal("0.93")).quantize(Decimal("0.01"))


def _snapshot(as_of):
    return [
        (row.customer_id, row.not_due, row.late_1_30, row.late_31_60, row.late_61_90, row.late_over_90, row.credit, row.balance)
        for row in queries.aged_balance(as_of=as_of, sort="name")
    ]


def test_the_aged_balance_as_of_a_past_date_equals_what_it_was_that_day(shop, business, consumer):
    """Documents made day after day; the aged balance taken each evening is, asked later for that
    day, the same."""
    other = customer("Crêperie Ty Breizh")
    taken = {}
    story = [
        (date(2026, 1, 5), lambda: invoice(shop, business, date(2026, 1, 5), net="300.00")),
        (date(2026, 1, 20), lambda: invoice(shop, consumer, date(2026, 1, 20), net="50.00", channel=shop.phone)),
        (
            date(2026, 2, 2),
            lambda: invoice(shop, other, date(2026, 2, 2), net="1000.00", installments=SCHEDULE),
        ),
        (date(2026, 2, 20), lambda: pay(invoices_made[0], date(2026, 2, 20), amount=Decimal("100.00"))),
        (date(2026, 3, 10), lambda: pay(invoices_made[2], date(2026, 3, 10), amount=Decimal("700.00"))),
        (date(2026, 3, 25), lambda: _credit_whole(invoices_made[1], date(2026, 3, 25))),
        (date(2026, 4, 2), lambda: _unallocated_payment(business, date(2026, 4, 2), Decimal("60.00"))),
        (date(2026, 5, 15), lambda: pay(invoices_made[0], date(2026, 5, 15), amount=Decimal("260.00"))),
    ]
    invoices_made = []
    for day, act in story:
        made = act()
        if day <= date(2026, 2, 2):
            invoices_made.append(made)
        with on(day, hour=20):
            taken[day] = _snapshot(day)
            taken[day + timedelta(days=1)] = _snapshot(day + timedelta(days=1))
    assert taken[date(2026, 3, 10)] != taken[date(2026, 2, 20)]  # the story changes the figures
    for day, figures in taken.items():
        assert _snapshot(day) == figures, day
    # 300 € HT → 360 TTC due 04/02, 100 paid on 20/02: 260 late by 31 days on 7 March (31–60),
    # then 60 € received unallocated on 2 April: the balance drops, the item stays.
    [row] = queries.aged_balance(as_of=date(2026, 3, 7), customers=[business])
    assert (row.late_1_30, row.late_31_60, row.days_late, row.balance) == (0, Decimal("260.00"), 31, Decimal("260.00"))
    [row] = queries.aged_balance(as_of=date(2026, 4, 2), customers=[business])
    assert (row.total, row.credit, row.balance) == (Decimal("260.00"), Decimal("60.00"), Decimal("200.00"))


def _credit_whole(bill, day):
    with on(day):
        note = services.create_credit_note(bill, reason="Retour", settlement=CreditNote.Settlement.BALANCE)
        return services.issue_credit_note(note, issue_date=day)


def _unallocated_payment(who, day, amount):
    with on(day):
        return services.record_payment(customer=who, amount=amount, method=PaymentMethod.CHEQUE, payment_date=day)


def test_the_aged_balance_is_sorted_by_days_late_and_filtered_in_one_query(shop, business, consumer, django_assert_num_queries):
    invoice(shop, consumer, date(2026, 1, 2), channel=shop.phone)
    invoice(shop, business, date(2026, 2, 2))
    invoice(shop, business, date(2026, 2, 3))
    with django_assert_num_queries(1):
        rows = queries.aged_balance(as_of=date(2026, 4, 1))
    assert [(row.customer_id, row.days_late) for row in rows] == [(consumer.pk, 59), (business.pk, 28)]
    with django_assert_num_queries(1):
        assert [row.customer_id for row in queries.aged_balance(as_of=date(2026, 4, 1), category="consumer")] == [consumer.pk]
    assert [row.customer_id for row in queries.aged_balance(as_of=date(2026, 4, 1), channel=shop.b2b)] == [business.pk]
    assert queries.aged_balance(as_of=date(2026, 4, 1), country="DE") == []


def test_a_remainder_worth_nothing_in_euros_shows_no_row_and_no_days_late(shop, business):
    """An invoice in a currency far below the euro (1 EUR = 400 HUF), paid but one fillér: 0,01 HUF
    is still open in its currency, 0,00 € in euros (CUR-02). The aged balance, in euros, has
    nothing due for the customer: no row, so no days late beside a total of 0,00 €."""
    rate = ExchangeRate.objects.create(day=date(2026, 2, 2), currency="HUF", rate=Decimal("400.000000"))
    hungarian = customer("Budapest Kft", country="HU", postal_code="1051")
    bill = invoice(
        shop, hungarian, date(2026, 2, 3), net="10000.00", currency="HUF", exchange_rate=rate.rate, exchange_rate_date=rate.day
    )
    pay(bill, date(2026, 3, 2), amount=bill.amount_due - Decimal("0.01"))
    as_of = date(2026, 5, 27)  # 83 days after the due date
    [item] = queries.receivables(as_of=as_of, customers=[hungarian])
    assert (item.amount_due, item.amount_due_eur, item.days_late) == (Decimal("0.01"), Decimal("0.00"), 83)
    assert queries.aged_balance(as_of=as_of, customers=[hungarian]) == []
    # With something else really due, the row shows it and its own days late only.
    invoice(shop, hungarian, date(2026, 4, 1), net="400.00", currency="HUF", exchange_rate=rate.rate, exchange_rate_date=rate.day)
    [row] = queries.aged_balance(as_of=as_of, customers=[hungarian])
    assert (row.total, row.days_late) == (Decimal("1.20"), 26)


def test_a_page_of_the_aged_balance_without_filters_has_the_whole_reports_count_and_totals(shop, business, consumer):
    first = invoice(shop, business, date(2026, 1, 5))
    second = invoice(shop, consumer, date(2026, 1, 6), channel=shop.phone, net="50.00")
    page = queries.aged_balance_page(as_of=date(2026, 3, 1), page_size=1)
    assert page.count == 2 and len(page.rows) == 1
    assert page.totals["balance"] == first.total_incl_tax + second.total_incl_tax
    assert queries.aged_balance_page(as_of=date(2026, 3, 1), page_size=1, page=2).rows[0].customer_id != page.rows[0].customer_id
