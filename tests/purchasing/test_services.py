from decimal import Decimal as D

import pytest

from lmb.errors import InvalidInput, TransitionNotAllowed
from purchasing import queries, services
from purchasing.models import Reception, SupplierOrder
from stock import services as stock_services
from stock.models import ProductValuation, StockLevel, StockMove
from tests.factories import ProductFactory, ThirdPartyFactory, vat_rate, warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplier():
    return ThirdPartyFactory(name="Faïencerie de Quimper", is_customer=False, is_supplier=True)


@pytest.fixture
def main():
    return warehouse()


@pytest.fixture
def bowl(supplier):
    product = ProductFactory(reference="BOL-01", ean13="3760123456784", purchase_price=D("4"))
    services.set_supplier_price(
        product=product,
        supplier=supplier,
        supplier_reference="FQ-BOL",
        purchase_price=D("4.20"),
        min_quantity=12,
        lead_time_days=10,
        is_preferred=True,
    )
    return product


def sent_order(supplier, main, *lines):
    order = services.create_supplier_order(supplier=supplier, warehouse=main, lines=list(lines))
    return services.send_supplier_order(order)


def test_order_lines_take_the_supplier_price_and_totals_add_up(supplier, main, bowl):
    book = ProductFactory(reference="LIV-01", vat_rate=vat_rate("FR-5.5"), purchase_price=D("10"))
    order = services.create_supplier_order(
        supplier=supplier,
        warehouse=main,
        lines=[{"product": bowl, "quantity": 24}, {"product": book, "quantity": 3, "discount_percent": D("10")}],
    )
    first, second = order.lines.all()
    assert (first.unit_price, first.supplier_reference, first.net_amount) == (D("4.2"), "FQ-BOL", D("100.80"))
    assert second.net_amount == D("27.00") and second.vat_rate == D("5.5")
    assert order.total_excl_tax == D("127.80")
    assert order.total_vat == D("20.16") + D("1.49")  # 20 % of 100.80, 5.5 % of 27.00 (1.485 → 1.49)
    assert order.total_incl_tax == order.total_excl_tax + order.total_vat
    assert order.number is None


def test_sending_numbers_the_order_and_freezes_its_lines(supplier, main, bowl):
    order = sent_order(supplier, main, {"product": bowl, "quantity": 12})
    assert order.number.startswith("CF") and order.status == "sent"
    with pytest.raises(TransitionNotAllowed):
        services.add_order_line(order, product=bowl, quantity=1)
    empty = services.create_supplier_order(supplier=supplier, warehouse=main)
    with pytest.raises(InvalidInput):
        services.send_supplier_order(empty)


def test_only_a_supplier_can_receive_an_order(main):
    customer = ThirdPartyFactory()
    with pytest.raises(InvalidInput) as error:
        services.create_supplier_order(supplier=customer, warehouse=main)
    assert "supplier" in error.value.errors


def test_partial_then_complete_reception_by_scanning(supplier, main, bowl):
    order = sent_order(supplier, main, {"product": bowl, "quantity": 3, "unit_price": D("4")})
    reception = services.start_reception(order)
    services.scan_reception(reception, code="3760123456784")
    services.scan_reception(reception, code="3760123456784")
    services.validate_reception(reception)
    order.refresh_from_db()
    assert order.status == "partially_received" and order.lines.get().received_quantity == 2
    assert StockLevel.objects.get(product=bowl, warehouse=main).on_hand == 2
    move = StockMove.objects.get()
    assert move.kind == "reception" and move.reference == Reception.objects.get().number and move.unit_cost == D("4")

    second = services.start_reception(order)
    assert second.pk != reception.pk
    with pytest.raises(services.OverReceipt):
        services.scan_reception(second, code="BOL-01", quantity=2)
    services.scan_reception(second, code="BOL-01", quantity=2, confirm_over_receipt=True)
    services.validate_reception(second, confirm_over_receipt=True)
    order.refresh_from_db()
    assert order.status == "received" and order.lines.get().received_quantity == 4


def test_receptions_update_the_average_cost(supplier, main, bowl):
    order = sent_order(
        supplier,
        main,
        {"product": bowl, "quantity": 10, "unit_price": D("5")},
    )
    services.receive_order(order, lines=[{"product": bowl, "quantity": 10}])
    second = sent_order(supplier, main, {"product": bowl, "quantity": 10, "unit_price": D("8")})
    services.receive_order(second, lines=[{"code": "BOL-01", "quantity": 10}])
    assert ProductValuation.objects.get(product=bowl).average_cost == D("6.5")


def test_a_product_not_on_the_order_is_refused(supplier, main, bowl):
    order = sent_order(supplier, main, {"product": bowl, "quantity": 3})
    other = ProductFactory(reference="TASSE-01")
    reception = services.start_reception(order)
    with pytest.raises(InvalidInput, match="pas sur la commande"):
        services.scan_reception(reception, code=other.reference)
    with pytest.raises(InvalidInput, match="Rien n'a été reçu"):
        services.validate_reception(reception)


def test_cancelling_an_order(supplier, main, bowl):
    order = sent_order(supplier, main, {"product": bowl, "quantity": 3})
    services.cancel_supplier_order(order)
    with pytest.raises(TransitionNotAllowed):
        services.start_reception(SupplierOrder.objects.get(pk=order.pk))
    received = sent_order(supplier, main, {"product": bowl, "quantity": 3})
    services.receive_order(received, lines=[{"product": bowl, "quantity": 1}])
    with pytest.raises(TransitionNotAllowed):
        services.cancel_supplier_order(received)


def test_supplier_invoice_warns_when_it_differs_from_the_receptions(supplier, main, bowl):
    order = sent_order(supplier, main, {"product": bowl, "quantity": 10, "unit_price": D("4")})
    reception = services.receive_order(order, lines=[{"product": bowl, "quantity": 8}])
    import datetime

    invoice = services.create_supplier_invoice(
        supplier=supplier,
        number="F-2026-118",
        invoice_date=datetime.date(2026, 11, 2),
        due_date=datetime.date(2026, 12, 2),
        receptions=[reception],
    )
    assert invoice.lines.get().quantity == 8 and invoice.total_excl_tax == D("32.00")
    assert queries.invoice_warnings(invoice) == []
    services.update_invoice_line(invoice.lines.get(), quantity=10, unit_price=D("4.5"))
    warnings = queries.invoice_warnings(invoice)
    assert any("10 facturé(s), 8 reçu(s)" in w for w in warnings)
    assert any("prix facturé 4,50\xa0€ HT, commandé 4,00\xa0€ HT" in w for w in warnings)
    services.record_supplier_invoice(invoice)
    with pytest.raises(TransitionNotAllowed):
        services.update_invoice_line(invoice.lines.get(), quantity=8)
    with pytest.raises(InvalidInput):
        services.create_supplier_invoice(
            supplier=supplier, number="F-2026-118", invoice_date=datetime.date(2026, 11, 2), due_date=datetime.date(2026, 12, 2)
        )


def test_replenishment_suggests_up_to_the_maximum_minus_what_is_coming(supplier, main, bowl):
    stock_services.set_stock_setting(product=bowl, warehouse=main, min_quantity=10, max_quantity=50)
    stock_services.receive(product=bowl, warehouse=main, quantity=8, unit_cost="4")
    stock_services.reserve(product=bowl, warehouse=main, quantity=3, source=("sales.order", 1))
    groups = queries.replenishment()
    suggestion = groups[0].suggestions[0]
    assert groups[0].supplier == supplier
    assert (suggestion.projected, suggestion.quantity) == (5, 45)  # 8 − 3 reserved; up to 50
    order = sent_order(supplier, main, {"product": bowl, "quantity": 2})
    assert queries.replenishment()[0].suggestions[0].quantity == 43  # 2 already on order
    services.receive_order(order, lines=[{"product": bowl, "quantity": 2}])
    assert queries.replenishment()[0].suggestions[0].quantity == 43  # received: on hand instead of on order
    big = sent_order(supplier, main, {"product": bowl, "quantity": 40})
    services.receive_order(big, lines=[{"product": bowl, "quantity": 40}])
    assert queries.replenishment() == []  # 47 projected ≥ 10


def test_replenishment_rounds_to_the_suppliers_minimum_and_the_pack(supplier, main, bowl):
    bowl.units_per_pack = 6
    bowl.save()
    stock_services.set_stock_setting(product=bowl, warehouse=main, min_quantity=2, max_quantity=5)
    suggestion = queries.replenishment()[0].suggestions[0]
    assert suggestion.quantity == 12  # 5 needed, supplier minimum 12, packs of 6
    orders = services.create_orders_from_replenishment(
        [{"product": bowl, "warehouse": main, "supplier": supplier, "quantity": suggestion.quantity}]
    )
    assert orders[0].status == "draft" and orders[0].lines.get().quantity == 12
    assert queries.replenishment() == []
