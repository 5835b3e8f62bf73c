"""Cash sessions: opened with a float (never negative), one open per register, cash movements
with their reasons, the session's figures from its own tickets only, and the closing count
compared with the expected cash — a difference needs a reason; closing twice is refused."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from lmb.errors import Conflict, InvalidInput
from sales import services
from sales.models import PaymentMethod
from sales.till import queries
from sales.till import services as till_services
from sales.till.models import CashMovement, Register, TillEvent, TillSession
from tests.sales.till_fixtures import sell


def open_session(till, opening_float="100", register=None, user=None):
    return till_services.open_session(register=register or till.register, user=user or till.cashier, opening_float=opening_float)


@pytest.mark.django_db
def test_opening_a_session_records_the_float_and_logs_it(till):
    session = open_session(till, "150.50")
    assert (session.status, session.opening_float, session.opened_by) == ("open", Decimal("150.50"), till.cashier)
    event = TillEvent.objects.get()
    assert (event.kind, event.session, event.register, event.user) == ("session_opened", session, till.register, till.cashier)
    assert event.details == {"opening_float": "150.50"}


@pytest.mark.django_db
@pytest.mark.parametrize("opening_float", ["-0.01", "-50"])
def test_a_negative_float_is_refused_in_french_and_changes_nothing(till, opening_float):
    with pytest.raises(InvalidInput, match="fond de caisse ne peut pas être négatif") as refused:
        open_session(till, opening_float)
    assert "opening_float" in refused.value.errors
    assert not TillSession.objects.exists() and not TillEvent.objects.exists()


@pytest.mark.django_db
def test_one_open_session_per_register(till):
    assert queries.open_session(till.register) is None
    session = open_session(till)
    assert queries.open_session(till.register) == session
    with pytest.raises(Conflict, match="déjà une session ouverte"):
        open_session(till, user=till.other_cashier)
    open_session(till, register=till.other_register, user=till.other_cashier)  # another register may
    assert TillSession.objects.filter(status="open").count() == 2


@pytest.mark.django_db
def test_the_database_refuses_a_second_open_session_on_a_register(till):
    open_session(till)
    with pytest.raises(IntegrityError), transaction.atomic():
        TillSession.objects.create(register=till.register, opened_by=till.cashier, opened_at="2026-12-01T10:00Z", opening_float=0)


@pytest.mark.django_db
def test_a_register_belongs_to_a_counter_channel(till):
    with pytest.raises(InvalidInput, match="canal de type comptoir") as refused:
        till_services.create_register(code="X", name="Caisse web", channel=till.shop.web, warehouse=till.boutique)
    assert "channel" in refused.value.errors
    with pytest.raises(InvalidInput, match="comptoir"):
        till_services.update_register(till.register, channel=till.shop.b2b)
    assert Register.objects.get(pk=till.register.pk).channel == till.shop.counter


@pytest.mark.django_db
def test_cash_movements_need_a_positive_amount_and_a_reason_for_money_taken_out(till):
    session = open_session(till)
    for kind in (CashMovement.Kind.EXPENSE, CashMovement.Kind.WITHDRAWAL):
        with pytest.raises(InvalidInput, match="motif") as refused:
            till_services.record_cash_movement(session=session, user=till.cashier, kind=kind, amount="5")
        assert "reason" in refused.value.errors
    with pytest.raises(InvalidInput, match="positif"):
        till_services.record_cash_movement(session=session, user=till.cashier, kind="deposit", amount="0")
    assert not CashMovement.objects.exists()


@pytest.mark.django_db
def test_expected_cash_is_the_float_plus_cash_kept_minus_refunds_and_movements(till):
    session = open_session(till, "100")
    # 12,60 paid with a 20 € note: 12,60 kept, 7,40 handed back
    sale = sell(till, session, [{"product": till.shop.jam, "quantity": 3}], tenders=[{"method": "cash", "amount": "20"}])
    sell(till, session, [{"product": till.shop.mug, "quantity": 1}], tenders=[{"method": "card", "amount": "9.90"}])
    till_services.return_at_counter(
        session=session,
        user=till.cashier,
        ticket=sale.ticket,
        lines=[{"invoice_line": sale.invoice.lines.get().pk, "quantity": 1}],
        refund_method=PaymentMethod.CASH,
    )  # 4,20 refunded in cash
    record = till_services.record_cash_movement
    record(session=session, user=till.cashier, kind="expense", amount="3.15", reason="Timbres")
    record(session=session, user=till.cashier, kind="bank_deposit", amount="50", reason="")
    record(session=session, user=till.cashier, kind="deposit", amount="20.00")
    record(session=session, user=till.cashier, kind="withdrawal", amount="1.05", reason="Monnaie pour la caisse 2")

    figures = queries.session_figures(session)
    assert (figures.sales_count, figures.sales_total) == (2, Decimal("22.50"))
    assert (figures.returns_count, figures.returns_total) == (1, Decimal("4.20"))
    assert figures.tenders == {"cash": Decimal("12.60"), "card": Decimal("9.90")}
    assert figures.refunds == {"cash": Decimal("4.20")}
    assert figures.cash_movements_net == Decimal("-34.20")
    assert figures.expected_cash == Decimal("74.20")  # 100 + 12,60 − 4,20 − 3,15 − 50 + 20 − 1,05


@pytest.mark.django_db
def test_the_figures_come_from_the_session_only(till):
    """A B2B cheque, the register's previous session and the other register's sales are not this
    session's takings."""
    earlier = open_session(till, "0")
    sell(till, earlier, [{"product": till.shop.lamp, "quantity": 1}])
    expected = queries.session_figures(earlier).expected_cash
    till_services.close_session(earlier, user=till.cashier, counted_cash={"0.01": int(expected * 100)})
    session = open_session(till, "0")
    other = open_session(till, "0", register=till.other_register, user=till.other_cashier)
    sell(till, session, [{"product": till.shop.jam, "quantity": 1}])
    sell(till, other, [{"product": till.shop.mug, "quantity": 1}])
    services.record_payment(customer=till.shop.bakery, amount="500", method=PaymentMethod.CHEQUE)
    figures = queries.session_figures(session)
    assert (figures.sales_count, figures.sales_total, figures.tenders) == (1, Decimal("4.20"), {"cash": Decimal("4.20")})
    assert figures.expected_cash == Decimal("4.20")
    assert queries.session_figures(other).expected_cash == Decimal("9.90")


@pytest.mark.django_db
def test_closing_counts_the_drawer_and_keeps_the_difference_with_its_reason(till):
    session = open_session(till, "100")
    sell(till, session, [{"product": till.shop.jam, "quantity": 3}], tenders=[{"method": "cash", "amount": "20"}])
    counted = {"50": 2, "10": 1, "2": 1, "0.50": 1, "0.05": 1}  # 112,55 for 112,60 expected
    with pytest.raises(InvalidInput, match="motif") as refused:
        till_services.close_session(session, user=till.cashier, counted_cash=counted)
    assert "-0,05" in refused.value.errors["difference_reason"][0]
    assert TillSession.objects.get(pk=session.pk).status == "open"

    closed = till_services.close_session(session, user=till.cashier, counted_cash=counted, difference_reason="Erreur de rendu")
    closed.refresh_from_db()
    assert closed.status == "closed" and closed.closed_by == till.cashier
    assert (closed.counted_total, closed.expected_cash, closed.difference) == (
        Decimal("112.55"),
        Decimal("112.60"),
        Decimal("-0.05"),
    )
    assert closed.counted_cash == {"50.00": 2, "10.00": 1, "2.00": 1, "0.50": 1, "0.05": 1}
    assert closed.difference_reason == "Erreur de rendu"
    event = TillEvent.objects.filter(kind="session_closed").get()
    assert event.details["difference"] == "-0.05" and event.details["reason"] == "Erreur de rendu"


@pytest.mark.django_db
def test_an_exact_count_needs_no_reason(till):
    session = open_session(till, "20")
    closed = till_services.close_session(session, user=till.cashier, counted_cash={"20": 1})
    assert closed.difference == 0 and closed.difference_reason == ""


@pytest.mark.django_db
def test_a_session_closed_twice_gets_a_french_error_and_stays_as_it_was(till):
    session = open_session(till, "20")
    till_services.close_session(session, user=till.cashier, counted_cash={"20": 1})
    events = TillEvent.objects.count()
    with pytest.raises(Conflict, match="déjà clôturée"):
        till_services.close_session(session, user=till.manager, counted_cash={"10": 1}, difference_reason="Vol")
    session.refresh_from_db()
    assert (session.closed_by, session.counted_total) == (till.cashier, Decimal("20.00"))
    assert TillEvent.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize(("counted", "message"), [({"3": 1}, "ni un billet ni une pièce"), ({"20": -1}, "nombre entier")])
def test_a_count_in_something_else_than_euros_is_refused(till, counted, message):
    session = open_session(till, "0")
    with pytest.raises(InvalidInput, match=message):
        till_services.close_session(session, user=till.cashier, counted_cash=counted, difference_reason="x")
    assert TillSession.objects.get(pk=session.pk).status == "open"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE sales_tillsession SET counted_total = 0 WHERE id = {session}",
        "DELETE FROM sales_tillsession WHERE id = {session}",
        "UPDATE sales_cashmovement SET amount = 1 WHERE session_id = {session}",
    ],
)
def test_postgresql_refuses_changes_to_a_closed_session_and_to_cash_movements(till, statement):
    if connection.vendor != "postgresql":
        pytest.skip("the triggers are PostgreSQL's")
    session = open_session(till, "20")
    till_services.record_cash_movement(session=session, user=till.cashier, kind="deposit", amount="5")
    till_services.close_session(session, user=till.cashier, counted_cash={"20": 1, "5": 1})
    with pytest.raises(IntegrityError, match="ne se"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(session=session.pk))
    assert TillSession.objects.get(pk=session.pk).counted_total == Decimal("25.00")


@pytest.mark.django_db
def test_the_drawer_opened_without_a_sale_is_logged(till):
    session = open_session(till)
    event = till_services.open_drawer(session=session, user=till.other_cashier, reason="Monnaie pour un client")
    assert (event.kind, event.user, event.session, event.register) == (
        "drawer_opened_without_sale",
        till.other_cashier,
        session,
        till.register,
    )
    assert event.details == {"reason": "Monnaie pour un client"}
    assert event.previous_hash == TillEvent.objects.get(kind="session_opened").content_hash


@pytest.mark.django_db
def test_a_registers_warehouse_does_not_change_during_a_session(till):
    session = open_session(till)
    with pytest.raises(Conflict, match="Clôturez la session"):
        till_services.update_register(till.register, warehouse=till.shop.warehouse)
    till_services.update_register(till.register, name="Caisse de l'entrée", max_discount_percent=5)
    till_services.close_session(session, user=till.cashier, counted_cash={"100": 1})
    register = till_services.update_register(till.register, warehouse=till.shop.warehouse)
    assert (register.name, register.max_discount_percent, register.warehouse) == (
        "Caisse de l'entrée",
        Decimal("5.00"),
        till.shop.warehouse,
    )


@pytest.mark.django_db
def test_the_model_layer_refuses_to_change_a_sealed_event(till):
    open_session(till)
    event = TillEvent.objects.get()
    event.details = {"opening_float": "0.00"}
    with pytest.raises(ValidationError, match="scellé"):
        event.save()
    with pytest.raises(ValidationError, match="scellé"):
        event.delete()
