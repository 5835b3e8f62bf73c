"""Importing a page of shop orders at once (``importer.import_page``, the bulk path of a sync)
writes exactly what ``import_order`` writes for each of its orders in turn, only faster: the same
rows in every table, numbered alike, and the same events announced. A page mixing new customers,
known and refused orders leaves no order twice and no gap in the invoice series; a page imported
while webhooks import some of its orders gives each order once."""

import copy
import threading
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, models, transaction

from catalog.models import Product
from connectors.prestashop import importer, services
from connectors.prestashop.models import Binding, ImportIssue, ShopChannel
from crm.models import Address, ThirdParty
from lmb import events
from lmb.models import Sequence
from sales import chain
from sales.models import Allocation, DepositDeduction, DocumentEvent, Installment, Invoice, InvoiceLine, Order, OrderLine, Payment
from stock import services as stock_services
from stock.models import Reservation, StockLevel
from tests.connectors.prestashop_standin import derived, generated_orders, with_new_buyers
from tests.factories import ProductFactory

# --- The shop's orders ----------------------------------------------------------------------------
# generated_orders alternates the two fixture orders: even ids are order 1's (customer 25,
# address 12 in France, one COMP-0003 at 180.00, paid by cheque), odd ids order 6's (customer 6,
# address 13 in Spain, one vest 734/7 and shipping, 16.23 paid by card).

UNPAID = "1"  # awaiting a cheque: confirmed, no deposit
CANCELLED = "6"  # services.DEFAULT_STATES["cancelled"]: confirmed (reserved), then cancelled (released)


def shop_orders(count: int, first_id: int) -> list[dict]:
    return list(generated_orders(count, first_id=first_id).values())


def with_total_paid_off_by_a_cent(order: dict) -> dict:
    """The shop's total is a cent more than its lines: a totals mismatch, for the error queue."""
    paid = Decimal(order["total_paid_tax_incl"]) + Decimal("0.01")
    return derived(order, total_paid_tax_incl=f"{paid:.6f}")


def with_the_row_split(order: dict, quantities=(2, 1)) -> dict:
    """The order's one row as several rows of the same product (one reservation, their quantities
    added up), its totals to match."""
    [row] = order["associations"]["order_rows"]
    total = f"{Decimal(row['unit_price_tax_incl']) * sum(quantities):.6f}"
    split = derived(
        order,
        total_products=total,
        total_products_wt=total,
        total_paid=total,
        total_paid_tax_incl=total,
        total_paid_tax_excl=total,
        total_paid_real=total,
    )
    rows = [derived(row, id=int(row["id"]) + index, product_quantity=quantity) for index, quantity in enumerate(quantities)]
    split["associations"] = {"order_rows": rows}
    return split


def for_customer_2(order: dict) -> dict:
    """An order of the stand-in's customer 2 (address 5313), whom no fixture order names."""
    return derived(order, id_customer=2, id_address_delivery=5313, id_address_invoice=5313)


def stock_the_products(warehouse):
    """The products the generated orders sell — the ones bind_customers' orders created from the
    shop when it ran, else made here — COMP-0003 in stock (its level exists), the vest not
    (reserving it creates its level)."""
    processor = Product.objects.filter(reference="COMP-0003").first() or ProductFactory(
        reference="COMP-0003", designation="Processeur 4x3,4 GHz", sale_price=Decimal("180.00")
    )
    if not Product.objects.filter(reference="734/7").exists():
        ProductFactory(reference="734/7", designation="Chaleco naranja", sale_price=Decimal("10.00"), ean13="8427917734071")
    stock_services.receive(product=processor, warehouse=warehouse, quantity=10, unit_cost=Decimal("120.00"))


def import_one_by_one(channel, client, payloads, memo=None) -> list[importer.Outcome]:
    """What import_page must be equivalent to."""
    memo = {} if memo is None else memo
    return [importer.import_order(channel=channel, client=client, payload=payload, memo=memo) for payload in payloads]


def import_as_a_page(channel, client, payloads, memo=None) -> list[importer.Outcome]:
    return importer.import_page(channel=channel, client=client, payloads=payloads, memo=memo)


def fresh(channel) -> ShopChannel:
    """The channel as stored: an import learns countries on the instance, which a rollback keeps."""
    return ShopChannel.objects.get(pk=channel.pk)


# --- A snapshot of what an import writes, each row named by what it is -----------------------------
# Primary keys come from PostgreSQL sequences, which a rollback does not give back: the two runs
# compared get different ids. Each row is named instead by what it is ("order B00001002 line 1"),
# and every reference to it, foreign key or not, by that name. Rows made before both runs
# (channel, warehouse, products) keep their ids, the same in both. Timestamps say when a row was
# written, not what it says: left out. The gapless lmb sequences do roll back, so order and
# invoice numbers, and the hash chain, must be identical.

DOCUMENTS = {"order": Order, "invoice": Invoice}  # DocumentEvent.document_type → model
BOUND = {"order": Order, "customer": ThirdParty, "address": Address}  # Binding.kind → model (products keep their ids)
SOURCES = {"sales.order": Order}  # Reservation.source_type → model
EVENT_IDS = {"order_id": Order, "invoice_id": Invoice}  # ids in lmb.events payloads


class Snapshot:
    def __init__(self):
        self.names: dict[type, dict[int, str]] = defaultdict(dict)
        self.tables: dict[str, dict[str, dict]] = {}

    def name(self, model, pk) -> str | None:
        if pk is None:
            return None
        return self.names[model].get(pk, f"{model._meta.model_name} #{pk}")

    def take(self, model, name_of, *, refer: dict | None = None):
        """Every row of ``model``, named ``name_of(row, pk)``; rows of one name are numbered in
        id order ("(2)", "(3)"). ``refer``: columns holding the id of a row whose table another
        column says, {column: (that column, {its value: model})}."""
        seen = Counter()
        table = {}
        for values in model._default_manager.order_by("pk").values():
            pk = values[model._meta.pk.attname]
            row = {}
            for field in model._meta.concrete_fields:
                if field.primary_key or isinstance(field, models.DateTimeField):
                    continue
                value = values[field.attname]
                row[field.name] = self.name(field.related_model, value) if field.is_relation else value
            for column, (type_column, targets) in (refer or {}).items():
                if row[type_column] in targets:
                    row[column] = self.name(targets[row[type_column]], row[column])
            base = name_of(row, pk)
            seen[base] += 1
            name = base if seen[base] == 1 else f"{base} ({seen[base]})"
            self.names[model][pk] = name
            table[name] = row
        self.tables[model._meta.db_table] = table


def snapshot() -> Snapshot:
    """Every table an import writes, parents first (their children refer to them by name)."""
    shot = Snapshot()
    shot.take(Sequence, lambda row, pk: f"sequence {row['code']} {row['period']}")
    shot.take(ShopChannel, lambda row, pk: f"shop {row['name']}")
    shot.take(ThirdParty, lambda row, pk: f"third party {row['name']}")
    shot.take(Address, lambda row, pk: f"{row['kind']} address {row['line1']}, {row['city']} of {row['third_party']}")
    shot.take(Order, lambda row, pk: f"order {row['customer_reference']}")
    shot.take(OrderLine, lambda row, pk: f"{row['document']} line {row['position']}")
    orders_of = defaultdict(list)
    for invoice_id, order_id in Invoice.orders.through.objects.order_by("pk").values_list("invoice_id", "order_id"):
        orders_of[invoice_id].append(shot.name(Order, order_id))
    shot.take(Invoice, lambda row, pk: f"{row['kind']} invoice of {' + '.join(orders_of[pk]) or row['number']}")
    shot.take(InvoiceLine, lambda row, pk: f"{row['document']} line {row['position']}")
    shot.take(Invoice.orders.through, lambda row, pk: f"{row['invoice']} ↔ {row['order']}")
    shot.take(DepositDeduction, lambda row, pk: f"{row['invoice']} deducts {row['deposit']}")
    shot.take(Installment, lambda row, pk: f"{row['invoice']} due {row['due_date']}")
    shot.take(Payment, lambda row, pk: f"{row['purpose']} payment of {row['order'] or row['reference']}")
    shot.take(Allocation, lambda row, pk: f"{row['invoice']} paid by {row['payment'] or row['credit_note']}")
    # One name per document, numbered in id order: its history keeps the sequence of its actions.
    shot.take(
        DocumentEvent, lambda row, pk: f"history of {row['document_id']}", refer={"document_id": ("document_type", DOCUMENTS)}
    )
    shot.take(
        Reservation,
        lambda row, pk: f"{row['source_id']} reserves {row['product']}",
        refer={"source_id": ("source_type", SOURCES)},
    )
    shot.take(StockLevel, lambda row, pk: f"level of {row['product']} in {row['warehouse']}")
    shot.take(Binding, lambda row, pk: f"{row['kind']} binding {row['external_id']}", refer={"object_id": ("kind", BOUND)})
    shot.take(ImportIssue, lambda row, pk: f"{row['kind']} issue {row['external_id']}")
    return shot


def row_counts() -> dict[str, int]:
    """The rows of every table of the project: a write to a table the snapshot does not read shows here."""
    return {
        model._meta.db_table: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def differences(one_by_one: Snapshot, page: Snapshot) -> list[str]:
    found = []
    for table in sorted(one_by_one.tables.keys() | page.tables.keys()):
        a, b = one_by_one.tables.get(table, {}), page.tables.get(table, {})
        found += [f"{table}: {name} written by import_order only: {a[name]}" for name in sorted(a.keys() - b.keys())]
        found += [f"{table}: {name} written by import_page only: {b[name]}" for name in sorted(b.keys() - a.keys())]
        for name in sorted(a.keys() & b.keys()):
            found += [
                f"{table}: {name}: {column} = {a[name][column]!r} by import_order, {b[name][column]!r} by import_page"
                for column in a[name]
                if a[name][column] != b[name][column]
            ]
    return found


def report(lines: list[str], limit: int = 60) -> str:
    more = [f"… and {len(lines) - limit} more"] if len(lines) > limit else []
    return "\n  ".join([f"{len(lines)} difference(s):", *lines[:limit], *more])


class Announcements:
    """The events the import announces (lmb.events): their subscribers write once the import
    commits (pushes to the shop, the deposit invoices' PDFs), so a page must announce what its
    orders imported one by one would."""

    def __init__(self, monkeypatch):
        self.heard = []
        publish = events.publish

        def heard(event, **payload):
            self.heard.append((event, payload))
            publish(event, **payload)

        monkeypatch.setattr(events, "publish", heard)

    def taken(self, shot: Snapshot) -> list[tuple]:
        """The events heard since the last call, their ids named as in ``shot``, sorted: a page may
        announce its orders' events in another order than one by one."""
        named = [
            (
                event,
                sorted((key, shot.name(EVENT_IDS[key], value) if key in EVENT_IDS else value) for key, value in payload.items()),
            )
            for event, payload in self.heard
        ]
        self.heard = []
        return sorted(named)


def ids_handed_out(*model_classes) -> list[tuple]:
    """Where the PostgreSQL id sequences of these models stand: (sequence, last value, is called)."""
    found = []
    with connection.cursor() as cursor:
        for model in model_classes:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column])
            [sequence] = cursor.fetchone()
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 (a sequence's name)
            found.append((sequence, *cursor.fetchone()))
    return found


def hand_out_again(sequences: list[tuple]):
    with connection.cursor() as cursor:
        for sequence, last_value, is_called in sequences:
            cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])


def run_and_undo(import_orders, channel, client, payloads, heard: Announcements):
    """Import in a transaction rolled back afterwards: the outcomes (their order named), the
    snapshot of what was written, the row counts and the events announced."""
    with transaction.atomic():
        outcomes = import_orders(fresh(channel), client, copy.deepcopy(payloads), memo={})
        shot = snapshot()
        counts, announced = row_counts(), heard.taken(shot)
        transaction.set_rollback(True)
    return [(o.external_id, o.status, shot.name(Order, o.order_id), o.error) for o in outcomes], shot, counts, announced


def assert_same_writes(channel, client, payloads, heard: Announcements) -> Snapshot:
    """Import the payloads one by one, undo, import them as a page, undo: the same outcomes, rows,
    row counts and events. Returns the snapshot of the one-by-one run."""
    # New customers and addresses get the same ids in both runs (their ids are in the invoices'
    # hashes): their id sequences are set back between the runs.
    customer_ids = ids_handed_out(ThirdParty, Address)
    outcomes_a, shot_a, counts_a, events_a = run_and_undo(import_one_by_one, channel, client, payloads, heard)
    hand_out_again(customer_ids)
    outcomes_b, shot_b, counts_b, events_b = run_and_undo(import_as_a_page, channel, client, payloads, heard)

    # Every kind of difference in one report: one wrong number shows in many rows.
    found = [f"{len(outcomes_b)} outcomes by import_page for {len(payloads)} orders"] if len(outcomes_b) != len(payloads) else []
    found += [f"outcome {b} by import_page, {a} by import_order" for a, b in zip(outcomes_a, outcomes_b, strict=False) if a != b]
    found += differences(shot_a, shot_b)
    found += [
        f"{table}: {counts_a[table]} rows by import_order, {counts_b[table]} by import_page"
        for table in counts_a
        if counts_a[table] != counts_b[table]
    ]
    found += [f"announced by import_order only: {event}" for event in events_a if event not in events_b]
    found += [f"announced by import_page only: {event}" for event in events_b if event not in events_a]
    if found:
        pytest.fail(report(found))
    return shot_a


# --- 1. A page writes what its orders imported one by one write -----------------------------------


def bind_customers(channel, client):
    """Customers 25 and 6 and their addresses bound (the page's bulk path is for known customers);
    their orders create and bind the products they sell (the shop's processor and vest)."""
    for external_id in ("1", "6"):
        assert importer.import_order(channel=channel, client=client, external_id=external_id).status == "created"


def test_a_page_of_new_orders_of_known_customers_writes_what_import_order_writes(
    channel, shop_client, main_warehouse, monkeypatch
):
    """The bulk path on its own: every new order of the page is a known customer's."""
    bind_customers(channel, shop_client)
    orders = shop_orders(9, first_id=1000)
    refused = importer.import_order(channel=channel, client=shop_client, payload=with_total_paid_off_by_a_cent(orders[2]))
    assert refused.status == "failed"
    stock_the_products(main_warehouse)
    page = [
        derived(orders[3], current_state=UNPAID),
        orders[2],  # refused before, fixed on the shop: created, its error queue entry resolved
        with_total_paid_off_by_a_cent(orders[4]),  # refused: an open entry of the error queue
        orders[6],
        with_the_row_split(orders[8]),  # 2 + 1 COMP-0003: one reservation of 3
        orders[7],
    ]

    written = assert_same_writes(channel, shop_client, page, Announcements(monkeypatch)).tables

    # What was compared is what the page was meant to write.
    new = ["B00001002", "B00001003", "B00001006", "B00001007", "B00001008"]
    references = sorted(row["customer_reference"] for row in written["sales_order"].values())
    assert references == [*new, "IMCVKMUCP", "KBHVCMDMO"]  # and the fixture orders that bound the customers
    assert all(written["sales_order"][f"order {reference}"]["status"] == "confirmed" for reference in new)
    paid = {f"deposit invoice of order {reference}" for reference in new if reference != "B00001003"}
    assert {name for name, row in written["sales_invoice"].items() if row["status"] == "issued"} >= paid
    assert [row["quantity"] for name, row in written["stock_reservation"].items() if "B00001008" in name] == [3]
    # COMP-0003: 1002, 1006 and 3 for 1008; the vest: 1003 and 1007; and one each for the fixture
    # orders 1 and 6 that bound the customers.
    assert sorted(row["reserved"] for row in written["stock_stocklevel"].values()) == [3, 6]
    assert {"product binding 24:0", "product binding 121:521"} <= written["prestashop_binding"].keys()
    assert {name: row["status"] for name, row in written["prestashop_importissue"].items()} == {
        "order issue 1002": "resolved",
        "order issue 1004": "open",
    }


def test_a_page_with_known_and_cancelled_orders_writes_what_import_order_writes(
    channel, shop_client, main_warehouse, monkeypatch
):
    """Orders the bulk path leaves to import_order (bound already, cancelled on the shop) amid
    new ones: the page's orders keep their numbers in the page's order all the same."""
    bind_customers(channel, shop_client)
    orders = shop_orders(6, first_id=1200)
    assert [outcome.status for outcome in import_one_by_one(channel, shop_client, orders[:2])] == ["created", "created"]
    stock_the_products(main_warehouse)
    page = [
        orders[0],  # imported already, unchanged
        orders[2],
        derived(orders[3], current_state=CANCELLED),  # confirmed (reserved), then cancelled (released)
        derived(orders[1], date_upd="2024-03-02 10:00:00"),  # imported already, changed on the shop: updated
        orders[4],
        orders[5],
    ]

    written = assert_same_writes(channel, shop_client, page, Announcements(monkeypatch)).tables

    assert written["sales_order"]["order B00001203"]["status"] == "cancelled"
    assert not any("B00001203" in name for name in written["stock_reservation"])
    assert written["prestashop_binding"]["order binding 1201"]["external_updated_at"] == "2024-03-02 10:00:00"


def test_a_page_bringing_new_customers_writes_what_import_order_writes(channel, shop_client, main_warehouse, monkeypatch):
    """New customers and addresses are imported one by one within the page: the page's orders
    keep their numbers in the page's order all the same."""
    assert importer.import_order(channel=channel, client=shop_client, external_id="1").status == "created"  # customer 25
    stock_the_products(main_warehouse)
    orders = shop_orders(6, first_id=1100)
    page = [
        orders[0],  # customer 25, known
        orders[1],  # customer 6, new
        orders[2],
        for_customer_2(orders[4]),  # customer 2, new
        orders[3],  # customer 6 again: known once the order above is imported
        derived(orders[5], current_state=UNPAID),
    ]

    written = assert_same_writes(channel, shop_client, page, Announcements(monkeypatch)).tables

    assert {row["external_id"] for row in written["prestashop_binding"].values() if row["kind"] == "customer"} == {"25", "6", "2"}
    deposits = [row for row in written["sales_invoice"].values() if row["kind"] == "deposit"]
    assert len(deposits) == 6  # order 1's, and the page's but the unpaid one


def first_sync_orders(standin, count: int, first_id: int) -> list[dict]:
    """Orders of buyers new to LMB (``with_new_buyers``: their customers and addresses put on the
    stand-in; the tenth order a repeat buyer's), as a shop connected for the first time lists them."""
    return list(with_new_buyers(generated_orders(count, first_id=first_id), standin.records, first_customer_id=first_id).values())


def with_a_delivery_address(standin, order: dict, address_id: int) -> dict:
    """The order delivered to a second address of its customer (in France too: the same VAT)."""
    billing = standin.records["addresses"][order["id_address_invoice"]]
    standin.put_record("addresses", derived(billing, id=address_id, address1="3 rue Neuve", postcode="35000", city="RENNES"))
    return derived(order, id_address_delivery=address_id)


def as_a_guest_of(standin, order: dict, customer_id: int, email: str) -> dict:
    """The order placed as a guest (a new shop customer and address) with this e-mail."""
    customer = standin.records["customers"][order["id_customer"]]
    address = standin.records["addresses"][order["id_address_invoice"]]
    standin.put_record("customers", derived(customer, id=customer_id, email=email, is_guest=1))
    standin.put_record("addresses", derived(address, id=customer_id, id_customer=customer_id))
    return derived(order, id_customer=customer_id, id_address_invoice=customer_id, id_address_delivery=customer_id)


def test_a_first_sync_page_of_new_customers_writes_what_import_order_writes(
    channel, shop_client, standin, main_warehouse, monkeypatch
):
    """A page whose buyers are new to LMB: their customers, addresses and bindings are created with
    the page's orders — the same rows, codes and ids as one by one — and what the bulk path leaves
    to import_order (a known customer's new address, guests merged by e-mail, a refused order) is
    imported alone amid them."""
    assert importer.import_order(channel=channel, client=shop_client, external_id="1").status == "created"  # customer 25
    stock_the_products(main_warehouse)
    orders = first_sync_orders(standin, 12, first_id=5000)
    page = [
        orders[0],
        with_a_delivery_address(standin, orders[2], address_id=7001),  # billed and delivered apart: two new addresses
        orders[1],
        with_total_paid_off_by_a_cent(orders[3]),  # refused: its new customer is not created
        orders[4],
        as_a_guest_of(standin, orders[6], customer_id=7002, email="CLIENT5004@example.org"),  # orders[4]'s buyer as a guest
        orders[5],
        derived(orders[8], id_address_invoice=12, id_address_delivery=12, id_customer=25),  # known customer 25
        derived(orders[10], id_address_invoice=7003, id_address_delivery=7003, id_customer=25),  # 25's new address
        orders[9],  # orders[5]'s buyer again (a repeat buyer, with_new_buyers)
        as_a_guest_of(standin, orders[11], customer_id=7004, email="john.doe@nowhere.com"),  # customer 25's e-mail
        orders[7],
    ]
    standin.put_record("addresses", derived(standin.records["addresses"]["12"], id=7003, address1="8 rue Haute"))

    written = assert_same_writes(channel, shop_client, page, Announcements(monkeypatch)).tables

    customers = {
        row["external_id"]: row["object_id"] for row in written["prestashop_binding"].values() if row["kind"] == "customer"
    }
    assert "5003" not in customers  # the refused order's buyer
    assert customers["7002"] == customers["5004"] and customers["7004"] == customers["25"]  # guests merged by e-mail
    orders_written = written["sales_order"]
    assert orders_written["order B00005009"]["customer"] == orders_written["order B00005005"]["customer"]  # repeat buyer
    assert len(written["crm_thirdparty"]) == 7  # customer 25, and the buyers of 5000, 5001, 5002, 5004, 5005, 5007
    delivery = [row for row in written["crm_address"].values() if row["kind"] == "delivery"]
    assert [row["line1"] for row in delivery] == ["3 rue Neuve"]
    assert written["prestashop_importissue"]["order issue 5003"]["status"] == "open"


def test_a_first_sync_page_takes_its_new_customers_without_importing_order_by_order(
    channel, shop_client, standin, main_warehouse, monkeypatch
):
    """The orders of new buyers (a repeat buyer among them) are written with the page, none alone."""
    stock_the_products(main_warehouse)
    page = first_sync_orders(standin, 12, first_id=5100)
    alone = []
    import_order = importer.import_order

    def counted(**arguments):
        alone.append(arguments["payload"]["id"])
        return import_order(**arguments)

    monkeypatch.setattr(importer, "import_order", counted)

    outcomes = import_as_a_page(channel, shop_client, page)

    assert [outcome.status for outcome in outcomes] == ["created"] * 12, [outcome.error for outcome in outcomes]
    assert alone == []
    assert ThirdParty.objects.count() == 11 and Address.objects.count() == 11  # one repeat buyer
    repeat = Order.objects.get(customer_reference="B00005109").customer_id
    assert repeat == Order.objects.get(customer_reference="B00005105").customer_id
    assert Binding.objects.filter(kind="customer").count() == 11
    assert sorted(Binding.objects.filter(kind="customer").values_list("email", flat=True)) == sorted(
        {f"client{order['id_customer']}@example.org" for order in page}
    )
    assert_documents_continuous()


# --- 2. A page mixing every case ---------------------------------------------------------------------


def series_numbers(numbers) -> list[int]:
    """The sequence values of numbers like CO2026-000007, sorted."""
    return sorted(int(number.rsplit("-", 1)[1]) for number in numbers)


def assert_documents_continuous():
    """Order and invoice numbers without a gap, and the hash chain unbroken."""
    orders = series_numbers(Order.objects.values_list("number", flat=True))
    invoices = series_numbers(Invoice.objects.filter(status=Invoice.Status.ISSUED).values_list("number", flat=True))
    assert orders == list(range(1, len(orders) + 1)), f"order numbers with a gap: {orders}"
    assert invoices == list(range(1, len(invoices) + 1)), f"invoice numbers with a gap: {invoices}"
    assert chain.verify() == (len(invoices), None)


def test_a_page_mixing_new_customers_known_and_refused_orders_imports_each_once(channel, shop_client, main_warehouse):
    first = importer.import_order(channel=channel, client=shop_client, external_id="1")  # customer 25 bound
    stock_the_products(main_warehouse)
    orders = shop_orders(6, first_id=2000)
    page = [
        orders[0],  # customer 25: known
        shop_client.get("orders", "1"),  # imported already, as the shop gives it: unchanged
        orders[1],  # customer 6: new, imported with its order
        with_total_paid_off_by_a_cent(orders[2]),  # refused
        orders[3],  # customer 6 again
        orders[4],
    ]

    outcomes = import_as_a_page(channel, shop_client, page)

    assert [(outcome.external_id, outcome.status) for outcome in outcomes] == [
        ("2000", "created"),
        ("1", "unchanged"),
        ("2001", "created"),
        ("2002", "failed"),
        ("2003", "created"),
        ("2004", "created"),
    ], [outcome.error for outcome in outcomes]
    assert outcomes[1].order_id == first.order_id
    assert "total payé TTC : LMB 180,00" in outcomes[3].error.replace("\u202f", " ").replace("\xa0", " ")
    for outcome in (outcome for outcome in outcomes if outcome.status == "created"):
        order = Order.objects.get(customer_reference=f"B0000{outcome.external_id}")  # one each
        assert order.pk == outcome.order_id and order.status == Order.Status.CONFIRMED
        assert Binding.objects.get(kind="order", external_id=outcome.external_id).object_id == order.pk
        [deposit] = Invoice.objects.filter(orders=order, kind=Invoice.Kind.DEPOSIT)
        assert (deposit.status, deposit.total_incl_tax) == (Invoice.Status.ISSUED, order.total_incl_tax)
    assert not Order.objects.filter(customer_reference="B00002002").exists()
    assert ImportIssue.objects.get(external_id="2002").status == ImportIssue.Status.OPEN
    new_customer = Binding.objects.get(kind="customer", external_id="6").object_id
    assert Order.objects.filter(customer_id=new_customer).count() == 2
    assert Binding.objects.filter(kind="address", external_id="13").count() == 1
    assert Order.objects.count() == 5 and Invoice.objects.filter(kind=Invoice.Kind.DEPOSIT).count() == 5
    assert_documents_continuous()


# --- 3. A page and webhooks at once ------------------------------------------------------------------


def at_once(*works) -> list:
    """Run each work in a thread of its own (its own database connection), all started together:
    what each returned, or the repr of what it raised."""
    start, results = threading.Barrier(len(works)), [None] * len(works)

    def run(index, work):
        try:
            start.wait(timeout=30)
            results[index] = work()
        except Exception as exc:  # reported by the caller: a failure in a thread fails the test
            results[index] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, work)) for index, work in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def importing(import_orders, channel, payloads):
    """A thread's work: import these payloads with its own channel and client."""

    def work():
        own = fresh(channel)
        return import_orders(own, services.client_for(own), copy.deepcopy(payloads))

    return work


def assert_each_order_once(payloads, results):
    """No thread failed; each order created by one of them, found unchanged by the others; one
    order and one binding each."""
    assert all(isinstance(result, list) for result in results), results
    statuses = defaultdict(list)
    for outcome in (outcome for result in results for outcome in result):
        statuses[outcome.external_id].append(outcome.status)
        order = Order.objects.get(customer_reference=f"B0000{outcome.external_id}")
        assert outcome.order_id == order.pk, outcome
    for payload in payloads:
        found = statuses[payload["id"]]
        assert found.count("created") == 1 and set(found) <= {"created", "unchanged"}, (payload["id"], found)
        assert Binding.objects.filter(kind="order", external_id=payload["id"]).count() == 1
        assert Order.objects.filter(customer_reference=payload["reference"]).count() == 1


def assert_stock_and_deposits_add_up():
    """One deposit invoice per order, and what the levels reserve is what the orders reserve."""
    for order in Order.objects.all():
        assert Invoice.objects.filter(orders=order, kind=Invoice.Kind.DEPOSIT).count() == 1, order.customer_reference
    for level in StockLevel.objects.all():
        reserved = Reservation.objects.filter(product=level.product, warehouse=level.warehouse)
        assert level.reserved == sum(reservation.quantity for reservation in reserved)
    assert not ImportIssue.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_page_and_webhooks_importing_the_same_orders_at_once_make_each_order_once(channel, main_warehouse):
    """A sync's page while webhooks bring some of its orders (mirrors the webhook tests' ten
    webhooks and a poll)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is a PostgreSQL matter; SQLite serialises writers")
    client = services.client_for(channel)
    for external_id in ("1", "6"):  # customers known: the page takes its bulk path
        assert importer.import_order(channel=channel, client=client, external_id=external_id).status == "created"
    stock_the_products(main_warehouse)

    for first_id in (3000, 3100, 3200):  # a few rounds: threads interleave differently each time
        page = shop_orders(12, first_id=first_id)
        webhooks = [page[0::3][::-1], page[1::3], page[2::3][::-1]]  # every order of the page, in three shares
        results = at_once(
            importing(import_as_a_page, channel, page), *(importing(import_one_by_one, channel, share) for share in webhooks)
        )
        assert_each_order_once(page, results)

    assert_stock_and_deposits_add_up()
    assert_documents_continuous()


@pytest.mark.django_db(transaction=True)
def test_a_first_sync_page_and_webhooks_on_its_new_customers_make_each_customer_once(channel, standin, main_warehouse):
    """A first sync's page while webhooks bring the same orders, and other orders of the same new
    buyers: each order once, each shop customer bound once, one LMB customer per e-mail."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is a PostgreSQL matter; SQLite serialises writers")
    stock_the_products(main_warehouse)

    for first_id in (6000, 6100, 6200):
        page = first_sync_orders(standin, 12, first_id=first_id)
        webhooks = [page[0::3][::-1], page[1::3], page[2::3][::-1]]
        others = [derived(order, id=int(order["id"]) + 50, reference=f"B{int(order['id']) + 50:08d}") for order in page[:6]]
        results = at_once(
            importing(import_as_a_page, channel, page),
            *(importing(import_one_by_one, channel, share) for share in webhooks),
            importing(import_as_a_page, channel, others[::-1]),
        )
        assert_each_order_once(page + others, results)

    bindings = Binding.objects.filter(kind="customer")
    assert bindings.count() == len(set(bindings.values_list("external_id", flat=True))) == 33  # 11 buyers a round
    assert ThirdParty.objects.count() == len(set(bindings.values_list("email", flat=True))) == 33
    assert_stock_and_deposits_add_up()
    assert_documents_continuous()


@pytest.mark.django_db(transaction=True)
def test_two_pages_overlapping_at_once_make_each_order_once(channel, main_warehouse):
    """The periodic poll and a "sync now" read some of the same orders."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is a PostgreSQL matter; SQLite serialises writers")
    client = services.client_for(channel)
    for external_id in ("1", "6"):
        assert importer.import_order(channel=channel, client=client, external_id=external_id).status == "created"
    stock_the_products(main_warehouse)

    for first_id in (4000, 4100, 4200):
        orders = shop_orders(12, first_id=first_id)
        results = at_once(
            importing(import_as_a_page, channel, orders[:8]),
            importing(import_as_a_page, channel, orders[4:][::-1]),
            importing(import_one_by_one, channel, orders[5:7]),
        )
        assert_each_order_once(orders, results)

    assert_stock_and_deposits_add_up()
    assert_documents_continuous()
