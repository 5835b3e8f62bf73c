"""Period closures (Z): a day's totals are the sum of its tickets per VAT rate, tender and user;
a month sums its days, a year its months; the perpetual grand total carries over across days,
months and years; a period closes once. Closures and the event log are sealed: PostgreSQL
refuses a raw change, and ``verify_chain`` finds one made behind the triggers' back."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from lmb.errors import Conflict, InvalidInput
from sales.models import CreditNote, PaymentMethod
from sales.till import chain, queries
from sales.till import services as till_services
from sales.till.models import Closure, Ticket, TillEvent
from tests.sales.till_fixtures import sell

PARIS = ZoneInfo("Europe/Paris")


def at(day: date, hour=10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=PARIS), tick=False)


def a_day_of_sales(till, day: date, lines, tenders=None):
    """Open a session, ring up one sale, close the session (exact count) and the day."""
    with at(day):
        session = till_services.open_session(register=till.register, user=till.cashier, opening_float="0")
        sell(till, session, lines, tenders=tenders)
        expected = queries.session_figures(session).expected_cash
        till_services.close_session(session, user=till.cashier, counted_cash={"0.01": int(expected * 100)})
        return till_services.close_day(register=till.register, day=day, user=till.cashier)


def sum_of_tickets(tickets) -> dict:
    """Per VAT rate, gross of the sale tickets' invoices less the return tickets' credit notes."""
    by_rate = {}
    for ticket in tickets:
        document, sign = (ticket.invoice, 1) if ticket.kind == "sale" else (ticket.credit_note, -1)
        for group in document.vat_breakdown:
            by_rate[group["rate"]] = by_rate.get(group["rate"], Decimal(0)) + sign * Decimal(group["gross"])
    return by_rate


@pytest.mark.django_db
def test_a_day_closure_totals_its_tickets_per_rate_tender_and_user(till):
    day = date(2026, 12, 4)
    with at(day):
        session = till_services.open_session(register=till.register, user=till.cashier, opening_float="100")
        first = sell(
            till,
            session,
            [{"product": till.shop.jam, "quantity": 3}, {"product": till.shop.mug, "quantity": 2}],  # 12,60 + 19,80
            tenders=[{"method": PaymentMethod.CARD, "amount": "10"}, {"method": PaymentMethod.CASH, "amount": "30"}],
        )
        sell(till, session, [{"product": till.shop.lamp, "quantity": 1}])  # 49,90 + 0,60 eco-participation (0,50 + VAT), cash
        till_services.return_at_counter(
            session=session,
            user=till.cashier,
            ticket=first.ticket,
            lines=[{"invoice_line": first.invoice.lines.get(product=till.shop.jam).pk, "quantity": 1}],
        )  # 4,20 back in cash
        till_services.return_at_counter(
            session=session,
            user=till.manager,
            ticket=first.ticket,
            lines=[{"invoice_line": first.invoice.lines.get(product=till.shop.mug).pk, "quantity": 1}],
            settlement=CreditNote.Settlement.VOUCHER,
        )  # 9,90 as a voucher
        with pytest.raises(Conflict, match="session n°"):  # the drawer is not counted yet
            till_services.close_day(register=till.register, day=day, user=till.cashier)
        expected = queries.session_figures(session).expected_cash
        assert expected == Decimal("168.70")  # 100 + 22,40 + 50,50 − 4,20
        till_services.close_session(
            session, user=till.cashier, counted_cash={"100": 1, "50": 1, "10": 1, "5": 1, "2": 1, "1": 1, "0.50": 1, "0.20": 1}
        )
        closure = till_services.close_day(register=till.register, day=day, user=till.cashier)

    closure.refresh_from_db()
    assert (closure.kind, closure.period_start, closure.period_end, closure.ticket_count) == ("day", day, day, 4)
    assert (closure.sales_total, closure.returns_total, closure.period_total) == (
        Decimal("82.90"),
        Decimal("14.10"),
        Decimal("68.80"),
    )
    assert closure.grand_total == Decimal("68.80")  # the register's first closure
    by_rate = {group["rate"]: group for group in closure.totals["by_rate"]}
    assert {rate: Decimal(group["gross"]) for rate, group in by_rate.items()} == sum_of_tickets(Ticket.objects.all())
    assert {rate: Decimal(group["gross"]) for rate, group in by_rate.items()} == {"5.5": Decimal("8.40"), "20": Decimal("60.40")}
    for group in by_rate.values():
        assert Decimal(group["net"]) + Decimal(group["vat"]) == Decimal(group["gross"])
    assert closure.totals["by_tender"] == {"card": "10.00", "cash": "68.70"}  # 22,40 + 50,50 − 4,20
    assert closure.totals["vouchers_issued"] == "9.90"
    assert closure.totals["by_user"] == {
        str(till.cashier.pk): {"name": "yann", "tickets": 3, "total": "78.70"},
        str(till.manager.pk): {"name": "gwen", "tickets": 1, "total": "-9.90"},
    }
    assert TillEvent.objects.filter(kind="closure").get().details["grand_total"] == "68.80"


@pytest.mark.django_db
def test_the_grand_total_carries_over_across_days_months_and_years(till):
    jam, mug, lamp = till.shop.jam, till.shop.mug, till.shop.lamp
    first = a_day_of_sales(till, date(2026, 11, 29), [{"product": jam, "quantity": 1}])  # 4,20
    second = a_day_of_sales(till, date(2026, 11, 30), [{"product": mug, "quantity": 1}], [{"method": "card", "amount": "9.90"}])
    with at(date(2026, 11, 30), hour=20):
        november = till_services.close_month(register=till.register, year=2026, month=11, user=till.manager)
    december = a_day_of_sales(till, date(2026, 12, 31), [{"product": lamp, "quantity": 1}])  # 50,50
    with at(date(2026, 12, 31), hour=20):
        month_12 = till_services.close_month(register=till.register, year=2026, month=12, user=till.manager)
        year_2026 = till_services.close_year(register=till.register, year=2026, user=till.manager)
    january = a_day_of_sales(till, date(2027, 1, 2), [{"product": jam, "quantity": 2}])  # 8,40
    with at(date(2027, 1, 31), hour=20):
        month_1 = till_services.close_month(register=till.register, year=2027, month=1, user=till.manager)

    assert [(c.period_total, c.grand_total) for c in (first, second, december, january)] == [
        (Decimal("4.20"), Decimal("4.20")),
        (Decimal("9.90"), Decimal("14.10")),
        (Decimal("50.50"), Decimal("64.60")),
        (Decimal("8.40"), Decimal("73.00")),
    ]
    assert [(c.period_total, c.grand_total) for c in (november, month_12, month_1)] == [
        (Decimal("14.10"), Decimal("14.10")),
        (Decimal("50.50"), Decimal("64.60")),
        (Decimal("8.40"), Decimal("73.00")),
    ]
    assert (year_2026.period_total, year_2026.grand_total, year_2026.ticket_count) == (Decimal("64.60"), Decimal("64.60"), 3)
    assert november.totals["by_tender"] == {"card": "9.90", "cash": "4.20"}  # the sum of its days
    assert year_2026.totals["by_tender"] == {"card": "9.90", "cash": "54.70"}
    assert {g["rate"]: g["gross"] for g in year_2026.totals["by_rate"]} == {"5.5": "4.20", "20": "60.40"}
    assert chain.verify_closures() == (Closure.objects.count(), None)


@pytest.mark.django_db
def test_a_period_closes_once_and_after_its_parts(till):
    day = date(2026, 11, 29)
    a_day_of_sales(till, day, [{"product": till.shop.jam, "quantity": 1}])
    with at(day, hour=21):
        with pytest.raises(Conflict, match="29/11/2026 est déjà clôturé"):
            till_services.close_day(register=till.register, day=day, user=till.manager)
        with pytest.raises(InvalidInput, match="pas terminée"):
            till_services.close_month(register=till.register, year=2026, month=11, user=till.manager)
        # a closed day takes no more tickets
        session = till_services.open_session(register=till.register, user=till.cashier, opening_float="0")
        with pytest.raises(Conflict, match="journée du 29/11/2026 est clôturée"):
            sell(till, session, [{"product": till.shop.jam, "quantity": 1}])
    with at(date(2026, 11, 30)):
        sell(till, session, [{"product": till.shop.jam, "quantity": 1}])
        till_services.close_session(session, user=till.cashier, counted_cash={"2": 2, "0.20": 1})
    with at(date(2026, 11, 30), hour=21), pytest.raises(Conflict, match="journée du 30/11/2026"):
        till_services.close_month(register=till.register, year=2026, month=11, user=till.manager)
    assert Closure.objects.count() == 1


@pytest.mark.django_db
def test_a_month_closed_on_its_last_day_takes_no_more_tickets_that_day(till):
    a_day_of_sales(till, date(2026, 11, 29), [{"product": till.shop.jam, "quantity": 1}])
    with at(date(2026, 11, 30), hour=12):
        till_services.close_month(register=till.register, year=2026, month=11, user=till.manager)
        session = till_services.open_session(register=till.register, user=till.cashier, opening_float="0")
        with pytest.raises(Conflict, match="journée du 30/11/2026 est clôturée"):
            sell(till, session, [{"product": till.shop.jam, "quantity": 1}])
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE sales_closure SET grand_total = 0",
        "DELETE FROM sales_closure",
        "UPDATE sales_tillevent SET details = '{{}}'",
        "DELETE FROM sales_tillevent WHERE sequence = 1",
    ],
)
def test_postgresql_refuses_raw_changes_to_closures_and_events(till, statement):
    if connection.vendor != "postgresql":
        pytest.skip("the triggers are PostgreSQL's")
    a_day_of_sales(till, date(2026, 11, 29), [{"product": till.shop.jam, "quantity": 1}])
    with pytest.raises(IntegrityError, match="ne se modifie pas"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format())
    assert Closure.objects.get().grand_total == Decimal("4.20")


def behind_the_triggers_back(table: str, sql: str, *params):
    """Switch the table's triggers off, as an intruder with the owner's rights would (the test's
    transaction undoes it all)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign-key check left pending before ALTER TABLE
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


@pytest.mark.django_db
def test_verify_chain_finds_a_closure_changed_behind_the_triggers_back(till, capsys):
    if connection.vendor != "postgresql":
        pytest.skip("tampering needs to switch PostgreSQL's triggers off")
    a_day_of_sales(till, date(2026, 11, 29), [{"product": till.shop.jam, "quantity": 1}])
    a_day_of_sales(till, date(2026, 11, 30), [{"product": till.shop.mug, "quantity": 1}])
    call_command("verify_chain")
    assert "Clôtures de caisse intègre : 2 enregistrement(s)" in capsys.readouterr().out

    behind_the_triggers_back("sales_closure", "UPDATE sales_closure SET period_total = 0.01 WHERE sequence = 2")
    with pytest.raises(SystemExit) as exit_status:
        call_command("verify_chain")
    assert exit_status.value.code == 1
    output = capsys.readouterr().out
    assert "Clôtures de caisse : maillon rompu en position 2" in output and "modifié" in output
    assert "Journal des événements de caisse intègre" in output


@pytest.mark.django_db
def test_verify_chain_finds_an_event_changed_or_removed_behind_the_triggers_back(till, capsys):
    if connection.vendor != "postgresql":
        pytest.skip("tampering needs to switch PostgreSQL's triggers off")
    a_day_of_sales(till, date(2026, 11, 29), [{"product": till.shop.jam, "quantity": 1}])
    events = TillEvent.objects.count()
    assert events >= 3 and chain.verify_events() == (events, None)

    behind_the_triggers_back("sales_tillevent", "DELETE FROM sales_tillevent WHERE sequence = 2")
    checked, broken = chain.verify_events()
    assert (checked, broken.position) == (1, 2) and "supprimée" in broken.reason
    with pytest.raises(SystemExit):
        call_command("verify_chain")
    assert "Journal des événements de caisse : maillon rompu en position 2" in capsys.readouterr().out


@pytest.mark.django_db
def test_an_event_whose_details_were_rewritten_breaks_the_chain_there(till):
    if connection.vendor != "postgresql":
        pytest.skip("tampering needs to switch PostgreSQL's triggers off")
    a_day_of_sales(till, date(2026, 11, 29), [{"product": till.shop.jam, "quantity": 1}])
    last = TillEvent.objects.order_by("-sequence").first()
    behind_the_triggers_back(
        "sales_tillevent",
        "UPDATE sales_tillevent SET details = jsonb_set(details, '{grand_total}', '\"0.00\"') WHERE id = %s",
        last.pk,
    )
    assert chain.verify_events()[1].position == last.sequence


@pytest.mark.django_db
def test_rows_written_on_a_clock_in_paris_time_still_verify(till):
    """The hash is of the moment as the database gives it back (UTC): an event or a closure whose
    time was written with another offset (the demo's clock is in Paris time) is not « modifié »."""
    paris = ZoneInfo("Europe/Paris")
    a_day_of_sales(till, date(2026, 11, 30), [{"product": till.shop.jam, "quantity": 1}])
    closure = Closure.objects.get()
    closure.closed_at = closure.closed_at.astimezone(paris)
    assert chain.closure_content(closure) == chain.closure_content(Closure.objects.get())
    written_in_paris = TillEvent(
        kind="drawer_opened_without_sale",
        register=till.register,
        user=till.cashier,
        at=datetime(2026, 12, 1, 9, 0, tzinfo=paris),
        details={"reason": "Ouverture"},
    )
    chain.seal(written_in_paris)
    assert chain.verify_events()[1] is None
    assert chain.verify_closures()[1] is None
