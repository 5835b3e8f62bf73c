from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from lmb.errors import InvalidInput
from lmb.services import save_company
from stock import queries, services
from stock.models import ProductValuation, StockLevel, StockMove
from tests.factories import ProductFactory, warehouse
from tests.lmb.test_company import IDENTITY

# Also run on SQLite (the smoke subset): there the ledger is written by the ORM, on PostgreSQL by
# one SQL statement (stock.ledger_sql); both must keep the same books.
pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


@pytest.fixture
def product():
    return ProductFactory(reference="BOL-01", purchase_price=D("4"))


@pytest.fixture
def main():
    return warehouse()


def level(product, where):
    return StockLevel.objects.get(product=product, warehouse=where)


def test_receptions_update_the_weighted_average_cost(product, main):
    services.receive(product=product, warehouse=main, quantity=10, unit_cost="5")
    services.receive(product=product, warehouse=main, quantity=10, unit_cost="8")
    assert ProductValuation.objects.get(product=product).average_cost == D("6.5")
    delivery = services.deliver(product=product, warehouse=main, quantity=5)
    assert (delivery.quantity, delivery.unit_cost, delivery.value) == (D("-5"), D("6.5"), D("-32.50"))
    assert delivery.average_cost_after == D("6.5") and delivery.product_quantity_after == D("15")
    services.receive(product=product, warehouse=main, quantity=5, unit_cost="10")
    valuation = ProductValuation.objects.get(product=product)
    assert (valuation.quantity, valuation.average_cost) == (D("20"), D("7.375"))
    assert level(product, main).on_hand == D("20")


def test_stock_back_from_zero_takes_the_new_cost(product, main):
    services.receive(product=product, warehouse=main, quantity=2, unit_cost="5")
    services.deliver(product=product, warehouse=main, quantity=2)
    services.receive(product=product, warehouse=main, quantity=1, unit_cost="9")
    assert ProductValuation.objects.get(product=product).average_cost == D("9")


def test_negative_stock_is_refused_unless_the_company_allows_it(product, main):
    services.receive(product=product, warehouse=main, quantity=2, unit_cost="5")
    with pytest.raises(services.InsufficientStock) as error:
        services.deliver(product=product, warehouse=main, quantity=3)
    assert "BOL-01" in error.value.message and "2 en stock" in error.value.message
    assert level(product, main).on_hand == 2 and StockMove.objects.count() == 1
    save_company(**IDENTITY, allow_negative_stock=True)
    services.deliver(product=product, warehouse=main, quantity=3)
    assert level(product, main).on_hand == -1


def test_exits_need_a_reason(product, main):
    services.receive(product=product, warehouse=main, quantity=5, unit_cost="5")
    with pytest.raises(InvalidInput) as error:
        services.exit_stock(product=product, warehouse=main, quantity=1, reason="")
    assert "reason" in error.value.errors
    with pytest.raises(InvalidInput) as error:
        services.exit_stock(product=product, warehouse=main, quantity=1, reason="other")
    assert "note" in error.value.errors
    move = services.exit_stock(product=product, warehouse=main, quantity=1, reason="breakage", note="Tombé du rayon")
    assert move.kind == "exit" and move.value == D("-5.00")


@pytest.mark.parametrize("quantity", [0, -1, "abc"])
def test_quantities_must_be_positive_numbers(product, main, quantity):
    with pytest.raises(InvalidInput) as error:
        services.receive(product=product, warehouse=main, quantity=quantity, unit_cost="1")
    assert "quantity" in error.value.errors


def test_transfer_moves_stock_between_warehouses_at_the_same_cost(product, main):
    shop = warehouse(code="SHOP", name="Boutique")
    services.receive(product=product, warehouse=main, quantity=10, unit_cost="6")
    out, incoming = services.transfer(product=product, from_warehouse=main, to_warehouse=shop, quantity=4)
    assert incoming.transfer_pair == out and out.unit_cost == incoming.unit_cost == D("6")
    assert (level(product, main).on_hand, level(product, shop).on_hand) == (6, 4)
    assert ProductValuation.objects.get(product=product).quantity == 10
    with pytest.raises(InvalidInput):
        services.transfer(product=product, from_warehouse=main, to_warehouse=main, quantity=1)
    with pytest.raises(services.InsufficientStock):
        services.transfer(product=product, from_warehouse=shop, to_warehouse=main, quantity=5)


def test_customer_return_comes_back_at_its_cost(product, main):
    services.receive(product=product, warehouse=main, quantity=10, unit_cost="6")
    delivered = services.deliver(product=product, warehouse=main, quantity=2)
    services.customer_return(product=product, warehouse=main, quantity=1, unit_cost=delivered.unit_cost)
    assert level(product, main).on_hand == 9 and ProductValuation.objects.get(product=product).average_cost == D("6")


def test_reservations_lower_available_not_on_hand(product, main):
    services.receive(product=product, warehouse=main, quantity=10, unit_cost="6")
    services.reserve(product=product, warehouse=main, quantity=3, source=("sales.order", 1))
    services.reserve(product=product, warehouse=main, quantity=2, source=("sales.order", 1))
    current = level(product, main)
    assert (current.on_hand, current.reserved, current.available) == (10, 5, 5)
    services.deliver(product=product, warehouse=main, quantity=4, source=("sales.order", 1))
    current = level(product, main)
    assert (current.on_hand, current.reserved) == (6, 1)
    assert services.release(source=("sales.order", 1)) == 1
    assert level(product, main).reserved == 0


def test_a_move_never_changes(product, main):
    move = services.receive(product=product, warehouse=main, quantity=1, unit_cost="6")
    with pytest.raises(ValidationError):
        move.save()
    with pytest.raises(ValidationError):
        move.delete()
    if connection.vendor == "postgresql":
        for statement in ["UPDATE stock_stockmove SET quantity = 5", "DELETE FROM stock_stockmove"]:
            with pytest.raises(DatabaseError, match="ne se modifie pas"), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
    assert StockMove.objects.get().quantity == 1


def test_check_stock_levels_reports_and_fixes_differences(product, main, capsys):
    services.receive(product=product, warehouse=main, quantity=10, unit_cost="6")
    call_command("check_stock_levels")
    assert "Aucun écart" in capsys.readouterr().out
    StockLevel.objects.filter(product=product).update(on_hand=7)
    ProductValuation.objects.filter(product=product).update(average_cost=D("1"))
    with pytest.raises(SystemExit) as exit_status:
        call_command("check_stock_levels")
    assert exit_status.value.code == 1
    out = capsys.readouterr().out
    assert "BOL-01 @ MAIN on_hand : cache 7 ≠ journal 10" in out and "average_cost" in out
    with pytest.raises(SystemExit):
        call_command("check_stock_levels", "--fix")
    call_command("check_stock_levels")
    assert level(product, main).on_hand == 10


def test_check_stock_levels_finds_a_move_altered_behind_the_applications_back(product, main, capsys):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger that protects moves is PostgreSQL's")
    services.receive(product=product, warehouse=main, quantity=10, unit_cost="6")
    move = services.receive(product=product, warehouse=main, quantity=10, unit_cost="8")
    with connection.cursor() as cursor:  # a superuser can still switch triggers off for a session
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE stock_stockmove SET unit_cost = 2 WHERE id = %s", [move.pk])
        cursor.execute("SET session_replication_role = origin")
    with pytest.raises(SystemExit):
        call_command("check_stock_levels")
    assert f"le mouvement {move.pk}" in capsys.readouterr().out


def test_stock_value_at_a_date_and_rotation(product, main):
    today = timezone.localdate()
    services.receive(product=product, warehouse=main, quantity=10, unit_cost="5")
    other = ProductFactory()
    services.receive(product=other, warehouse=main, quantity=4, unit_cost="2.5")
    services.deliver(product=product, warehouse=main, quantity=6)
    assert queries.stock_value_at(today) == D("30.00")  # 4 × 5 + 4 × 2.5
    assert queries.stock_value_at(today - timedelta(days=1)) == 0
    rotation = queries.rotation(product, start=today, end=today)
    assert rotation.outgoing == 6 and rotation.average_stock == 2  # (0 before + 4 after) / 2
    assert rotation.rate == 3 and rotation.days_of_cover == D("0.7")  # 4 left at 6 a day


def test_inventory_freezes_counts_by_scanning_and_validates_adjustments(product, main, admin_user):
    other = ProductFactory(reference="TASSE-02")
    services.receive(product=product, warehouse=main, quantity=10, unit_cost="5")
    services.receive(product=other, warehouse=main, quantity=3, unit_cost="2")
    inventory = services.open_inventory(warehouse=main, user=admin_user)
    expected = dict(inventory.lines.values_list("product__reference", "expected_quantity"))
    assert expected["BOL-01"] == 10 and expected["TASSE-02"] == 3
    for _ in range(8):
        services.count(inventory, code=product.ean13)  # one scan, one unit
    services.count(inventory, code="TASSE-02", quantity=4)  # a typed quantity
    with pytest.raises(InvalidInput):
        services.count(inventory, code="INCONNU")
    moves = services.validate_inventory(inventory, user=admin_user)
    assert sorted(m.quantity for m in moves) == [D("-2"), D("1")]
    assert level(product, main).on_hand == 8 and level(other, main).on_hand == 4
    with pytest.raises(Exception, match="clos"):
        services.count(inventory, code="TASSE-02")
