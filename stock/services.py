"""Write paths of the stock: one function per kind of move, reservations, inventories, settings.

Every move goes through ``_write_move``, which, in one transaction: locks the product's valuation
row (serialising the product's moves, so the weighted average cost is computed on the true
quantity), locks the level row of the warehouse, refuses to go below zero unless the company
allows negative stock, writes the immutable move with its cost, then updates both caches.

The lock order — one for every path that touches the stock (here, and the sales, purchasing and
connector services that call these), so that two transactions never wait on each other in a
circle (PostgreSQL would abort one: "deadlock detected"):

1. the document being acted on (its row, locked by the calling service: the order, the delivery
   note, the reception…);
2. the valuation row of every product the transaction will move or reserve, all at once, in
   product id order: ``lock_products``. A service working on several products (confirming an
   order, shipping, receiving, issuing a credit note with returns, validating an inventory, a page
   of web orders) calls it before anything else; each function below also locks its own product's
   valuation first, so a single call is right on its own;
3. stock levels and reservations: only ever locked by a transaction that holds their product's
   valuation, so no one ever waits for them;
4. document numbers (the gapless sequences, held until commit): drawn after the stock is locked.
   A path that numbered first and then waited for a product would close a circle with one that
   holds the product and waits for the number (the till: its delivery note and its invoice).

The valuation row is the product's stock lock: two transactions on the same product take turns
at step 2, holding nothing the other needs.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.errors import NumericValueOutOfRange

from catalog import units
from catalog.models import Product
from catalog.queries import find_by_code, in_category
from lmb import bounds, events, money, text, transactions
from lmb.errors import Conflict, InvalidInput, TransitionNotAllowed
from lmb.formats import decimal_fr
from lmb.services import apply_changes, get_company, next_reference, validate_and_save

from . import ledger_sql
from .models import (
    Inventory,
    InventoryLine,
    Location,
    ProductStockSetting,
    ProductValuation,
    Reservation,
    StockLevel,
    StockMove,
    Warehouse,
)

Kind = StockMove.Kind
ZERO = Decimal("0")
LOCK_BATCH = 10_000  # product ids per locking statement (PostgreSQL takes at most 65,535 parameters)


class InsufficientStock(Conflict):
    """The move would take the stock below zero and the company does not allow it."""


# --- Warehouses, locations, settings -------------------------------------------------------------


@transaction.atomic
def create_warehouse(**fields) -> Warehouse:
    warehouse = Warehouse(**fields)
    if warehouse.is_default:
        Warehouse.objects.filter(is_default=True).update(is_default=False)
    return validate_and_save(warehouse)


@transaction.atomic
def update_warehouse(warehouse: Warehouse, **changes) -> Warehouse:
    if changes.get("is_default"):
        Warehouse.objects.filter(is_default=True).exclude(pk=warehouse.pk).update(is_default=False)
    return apply_changes(warehouse, changes)


def default_warehouse() -> Warehouse | None:
    return Warehouse.objects.filter(is_active=True).order_by("-is_default", "pk").first()


@transaction.atomic
def create_location(**fields) -> Location:
    return validate_and_save(Location(**fields))


@transaction.atomic
def update_location(location: Location, **changes) -> Location:
    return apply_changes(location, changes)


@transaction.atomic
def set_stock_setting(*, product: Product, warehouse: Warehouse, **fields) -> ProductStockSetting:
    """Default location and min/max thresholds of a product in a warehouse (created or changed)."""
    setting = ProductStockSetting.objects.filter(product=product, warehouse=warehouse).first()
    setting = setting or ProductStockSetting(product=product, warehouse=warehouse)
    return apply_changes(setting, fields)


# --- The ledger ----------------------------------------------------------------------------------


def next_average_cost(quantity_before, average_before, quantity_in, unit_cost) -> Decimal:
    """Weighted average cost (PMP) after ``quantity_in`` units come in at ``unit_cost``.

    Stock at or below zero carries no value: the incoming cost becomes the average.
    """
    if quantity_in <= 0:
        return average_before
    if quantity_before <= 0:
        return money.unit_price(unit_cost)
    total = quantity_before * average_before + quantity_in * unit_cost
    return money.unit_price(total / (quantity_before + quantity_in))


def _positive_quantity(quantity, field="quantity") -> Decimal:
    try:
        quantity = money.quantity(quantity)
    except (ValueError, TypeError) as exc:
        raise InvalidInput({field: [str(exc)]}) from exc
    if quantity <= 0:
        raise InvalidInput({field: [_("La quantité doit être positive.")]})
    column = StockMove._meta.get_field("quantity")
    return bounds.check(quantity, column.max_digits, column.decimal_places, field=field, label=_("quantité"))


def _check_move(move: StockMove, unit_cost: Decimal | None):
    """What every move must respect before it is written (the one place every stock quantity goes
    through): the product's unit decides whether the quantity may have decimals, and a move's
    value at a known cost must fit its column (named by the quantity, the input at fault)."""
    units.check_quantity(move.quantity, move.product.unit, field="quantity")
    if unit_cost is not None:
        column = StockMove._meta.get_field("value")
        value = money.amount(move.quantity * unit_cost)
        if not bounds.fits(value, column.max_digits, column.decimal_places):
            what = _("la valeur du mouvement")
            message = bounds.too_large_result(_("quantité"), what, value, column.max_digits, column.decimal_places)
            raise InvalidInput({"quantity": [message]})


def _digits(model, name: str) -> tuple[int, int]:
    column = model._meta.get_field(name)
    return column.max_digits, column.decimal_places


def _too_large_for_the_stock(product: Product) -> InvalidInput:
    return InvalidInput(
        {
            "quantity": [
                _("Quantité : trop grand, le stock de %(reference)s ou sa valeur dépasserait ce que LMB peut enregistrer.")
                % {"reference": product.reference}
            ]
        }
    )


def lock_products(products) -> dict[int, ProductValuation]:
    """Lock the stock of these products (Product objects or ids) for the rest of the transaction:
    their valuation rows, created when missing, in product id order (step 2 of the lock order in
    this module's docstring). Returns the rows by product id."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_products() must run inside transaction.atomic().")
    ids = sorted({getattr(product, "pk", product) for product in products})
    locked = {}
    for start in range(0, len(ids), LOCK_BATCH):  # batches in id order: still one order
        batch = ids[start : start + LOCK_BATCH]
        rows = ProductValuation.objects.select_for_update().filter(product_id__in=batch).order_by("product_id")
        locked.update((row.product_id, row) for row in rows)
        missing = [product_id for product_id in batch if product_id not in locked]
        if missing:  # a product's first stock: its row is made, then locked
            ProductValuation.objects.bulk_create([ProductValuation(product_id=pk) for pk in missing], ignore_conflicts=True)
            rows = ProductValuation.objects.select_for_update().filter(product_id__in=missing).order_by("product_id")
            locked.update((row.product_id, row) for row in rows)
    return locked


def _lock_valuation(product: Product) -> ProductValuation:
    return lock_products([product])[product.pk]


def _lock_level(product: Product, warehouse: Warehouse) -> StockLevel:
    try:
        return StockLevel.objects.select_for_update().get(product=product, warehouse=warehouse)
    except StockLevel.DoesNotExist:
        StockLevel.objects.bulk_create([StockLevel(product=product, warehouse=warehouse)], ignore_conflicts=True)
        return StockLevel.objects.select_for_update().get(product=product, warehouse=warehouse)


def _company_allows_negative_stock() -> bool:
    company = get_company()
    return company is not None and company.allow_negative_stock


def _refuse_negative(product: Product, warehouse: Warehouse, on_hand, quantity_out):
    raise InsufficientStock(
        _("Stock insuffisant pour %(reference)s au dépôt « %(warehouse)s » : %(on_hand)s en stock, %(wanted)s demandé(s).")
        % {
            "reference": product.reference,
            "warehouse": warehouse.name,
            "on_hand": decimal_fr(on_hand),
            "wanted": decimal_fr(quantity_out),
        },
        field="quantity",
    )


def _write_move(
    *,
    product: Product,
    warehouse: Warehouse,
    kind: str,
    quantity: Decimal,
    unit_cost: Decimal | None = None,
    location: Location | None = None,
    reason: str = "",
    note: str = "",
    reference: str = "",
    source: tuple[str, int] | None = None,
    user=None,
    transfer_pair: StockMove | None = None,
    release_reserved: Decimal = ZERO,
    allow_negative: bool = False,
    alone: bool = False,
) -> StockMove:
    """Write one move and update the caches. ``quantity`` is signed; ``unit_cost`` is given for
    stock that comes in at a known cost (receptions), else the current average cost is used.

    ``alone``: the move is all the calling service's transaction does (nothing before it touches
    the database, nothing after). When no caller's transaction surrounds that service's
    (``_is_whole_transaction``), the move's statement is its own transaction, committed by the
    server at once: the product's lock lasts no longer than the server's work."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("_write_move() must run inside transaction.atomic().")
    if location is not None and location.warehouse_id != warehouse.pk:
        raise InvalidInput({"location": [_("Cet emplacement est dans un autre dépôt.")]})
    move = StockMove(
        product=product,
        warehouse=warehouse,
        location=location,
        kind=kind,
        quantity=quantity,
        reason=reason,
        note=note,
        reference=reference[:50],  # our own text (a document's number, a transfer's label); the API checks a typed one
        source_type=source[0] if source else "",
        source_id=source[1] if source else None,
        transfer_pair=transfer_pair,
        created_by=user,
    )
    text.check_fields(move, "note")  # typed by a user: refused naming it, never cut
    if unit_cost is not None:
        unit_cost = money.unit_price(unit_cost)
    _check_move(move, unit_cost)
    if transaction.get_connection().vendor == "postgresql":
        alone = alone and _is_whole_transaction()
        move = _write_move_in_one_statement(move, unit_cost, release_reserved, allow_negative, alone)
    else:
        move = _write_move_with_orm(move, unit_cost, release_reserved, allow_negative)
    events.publish(events.STOCK_MOVED, product_id=product.pk, warehouse_id=warehouse.pk)
    return move


def _is_whole_transaction() -> bool:
    """True when the service's own ``atomic`` block is the whole transaction (called from a view,
    the API, a task), not a part of a caller's."""
    return len(transaction.get_connection().atomic_blocks) == 1


def _write_move_in_one_statement(move, unit_cost, release_reserved, allow_negative, alone) -> StockMove:
    """PostgreSQL: the same work in one statement (see ``stock.ledger_sql``), its own transaction
    when ``alone``. The company's negative-stock setting is read only when the stock would go
    below zero (a refused statement changed nothing, even on its own: the second try runs in the
    service's transaction)."""
    parameters = {
        "product": move.product.pk,
        "warehouse": move.warehouse.pk,
        "location": move.location_id,
        "kind": move.kind,
        "quantity": move.quantity,
        "unit_cost": unit_cost,
        "fallback_cost": move.product.purchase_price,
        "release": release_reserved,
        "allow_negative": allow_negative,
        "reason": move.reason,
        "note": move.note,
        "reference": move.reference,
        "source_type": move.source_type,
        "source_id": move.source_id,
        "transfer_pair": move.transfer_pair_id,
        "user": move.created_by_id,
    }
    try:
        row = ledger_sql.write_move(parameters, alone=alone)
        if row is None and not allow_negative and _company_allows_negative_stock():
            row = ledger_sql.write_move({**parameters, "allow_negative": True})
    except NumericValueOutOfRange as exc:  # the level, the valuation or their value: beyond their columns
        raise _too_large_for_the_stock(move.product) from exc
    if row is None:
        level = StockLevel.objects.get(product=move.product, warehouse=move.warehouse)
        _refuse_negative(move.product, move.warehouse, level.on_hand, -move.quantity)
    (move.pk, move.unit_cost, move.value, move.product_quantity_after, move.average_cost_after, move.created_at) = row
    move._state.adding = False
    return move


def _write_move_with_orm(move, unit_cost, release_reserved, allow_negative) -> StockMove:
    """The reference implementation (SQLite, where writers are serialised anyway)."""
    product, warehouse, quantity = move.product, move.warehouse, move.quantity
    valuation = _lock_valuation(product)
    level = _lock_level(product, warehouse)
    if quantity < 0 and level.on_hand + quantity < 0 and not (allow_negative or _company_allows_negative_stock()):
        _refuse_negative(product, warehouse, level.on_hand, -quantity)

    if unit_cost is None:
        unit_cost = valuation.average_cost
        if quantity > 0 and valuation.quantity <= 0 and not unit_cost:
            unit_cost = product.purchase_price  # first stock of a product never received: its catalogue cost
    move.unit_cost = money.unit_price(unit_cost)
    move.value = money.amount(quantity * move.unit_cost)
    move.product_quantity_after = valuation.quantity + quantity
    move.average_cost_after = next_average_cost(valuation.quantity, valuation.average_cost, quantity, move.unit_cost)
    level.on_hand += quantity
    valuation.quantity += quantity
    if not all(
        bounds.fits(getattr(row, name), *_digits(type(row), name))
        for row, name in ((move, "value"), (move, "product_quantity_after"), (level, "on_hand"), (valuation, "quantity"))
    ):
        raise _too_large_for_the_stock(product)  # what PostgreSQL refuses in the one statement, refused here too
    move.save(force_insert=True)
    level.reserved = max(ZERO, level.reserved - release_reserved)
    level.save(update_fields=["on_hand", "reserved"])
    valuation.average_cost = move.average_cost_after
    valuation.save(update_fields=["quantity", "average_cost"])
    return move


@transaction.atomic
def receive(*, product, warehouse, quantity, unit_cost, location=None, reference="", source=None, user=None) -> StockMove:
    """Goods received from a supplier at ``unit_cost`` (tax excluded): updates the average cost."""
    try:
        unit_cost = money.unit_price(unit_cost)
    except (ValueError, TypeError) as exc:
        raise InvalidInput({"unit_cost": [str(exc)]}) from exc
    if unit_cost < 0:
        raise InvalidInput({"unit_cost": [_("Le coût unitaire ne peut pas être négatif.")]})
    return _write_move(
        product=product,
        warehouse=warehouse,
        kind=Kind.RECEPTION,
        quantity=_positive_quantity(quantity),
        unit_cost=unit_cost,
        location=location,
        reference=reference,
        source=source,
        user=user,
        alone=True,
    )


def deliver(*, product, warehouse, quantity, reference="", source=None, reservation=None, user=None) -> StockMove:
    """Goods shipped to a customer, valued at the average cost of the moment. The reservation
    made by ``reservation`` (e.g. the order; by default ``source``, the document that ships)
    shrinks by what is shipped. One line of ``deliver_lines``."""
    return deliver_lines(
        warehouse=warehouse, lines=[(product, quantity)], reference=reference, source=source, reservation=reservation, user=user
    )[0]


@transactions.atomic
def deliver_lines(*, warehouse, lines, reference="", source=None, reservation=None, user=None) -> list[StockMove]:
    """``deliver`` of several ``(product, quantity)`` lines of one document in one call (a
    delivery note ships them all): their products locked at once, the reservation's rows read
    and shrunk together, then one delivery move per line. Returns the moves, in the lines' order.

    One line and no reservation (a counter sale, an API delivery): its move's statement locks the
    product itself, and is the transaction's only write (``_write_move``'s ``alone``)."""
    lines = [(product, _positive_quantity(quantity)) for product, quantity in lines]
    reservation = reservation or source
    alone = len(lines) == 1 and not reservation
    if not alone:  # several products in id order, and before the reservations' rows (lock order)
        lock_products(product for product, _quantity in lines)
    released = _consume_reservations(lines, warehouse, reservation) if reservation else [ZERO] * len(lines)
    return [
        _write_move(
            product=product,
            warehouse=warehouse,
            kind=Kind.DELIVERY,
            quantity=-quantity,
            reference=reference,
            source=source,
            user=user,
            release_reserved=used,
            alone=alone,
        )
        for (product, quantity), used in zip(lines, released, strict=True)
    ]


@transaction.atomic
def customer_return(*, product, warehouse, quantity, unit_cost=None, reference="", source=None, user=None, note="") -> StockMove:
    """Goods a customer sends back; valued at ``unit_cost`` (the cost they left at) when known,
    else at the current average cost."""
    return _write_move(
        product=product,
        warehouse=warehouse,
        kind=Kind.CUSTOMER_RETURN,
        quantity=_positive_quantity(quantity),
        unit_cost=unit_cost,
        reference=reference,
        source=source,
        user=user,
        note=note,
        alone=True,
    )


@transaction.atomic
def exit_stock(*, product, warehouse, quantity, reason, note="", user=None, location=None) -> StockMove:
    """Goods taken out of stock without a sale: breakage, loss, sample, own use (with a reason)."""
    if reason not in StockMove.ExitReason.values:
        raise InvalidInput({"reason": [_("Indiquez le motif de la sortie.")]})
    if reason == StockMove.ExitReason.OTHER and not note.strip():
        raise InvalidInput({"note": [_("Précisez le motif de la sortie.")]})
    return _write_move(
        product=product,
        warehouse=warehouse,
        kind=Kind.EXIT,
        quantity=-_positive_quantity(quantity),
        reason=reason,
        note=note,
        user=user,
        location=location,
        alone=True,
    )


@transaction.atomic
def transfer(*, product, from_warehouse, to_warehouse, quantity, note="", user=None) -> tuple[StockMove, StockMove]:
    """Move goods between warehouses: an outgoing and an incoming move, linked, at the same cost."""
    if from_warehouse.pk == to_warehouse.pk:
        raise InvalidInput({"to_warehouse": [_("Choisissez un dépôt de destination différent du dépôt de départ.")]})
    quantity = _positive_quantity(quantity)
    _lock_valuation(product)
    for warehouse in sorted((from_warehouse, to_warehouse), key=lambda w: w.pk):
        _lock_level(product, warehouse)
    reference = _("Transfert %(from)s → %(to)s") % {"from": from_warehouse.code, "to": to_warehouse.code}
    out = _write_move(
        product=product,
        warehouse=from_warehouse,
        kind=Kind.TRANSFER_OUT,
        quantity=-quantity,
        note=note,
        reference=reference,
        user=user,
    )
    incoming = _write_move(
        product=product,
        warehouse=to_warehouse,
        kind=Kind.TRANSFER_IN,
        quantity=quantity,
        unit_cost=out.unit_cost,
        note=note,
        reference=reference,
        user=user,
        transfer_pair=out,
    )
    return out, incoming


def adjust(*, product, warehouse, difference, reference="", note="", user=None, source=None) -> StockMove:
    """An inventory adjustment (positive or negative difference), at the current average cost.
    A counted stock is a fact: a negative adjustment is never refused."""
    difference = money.quantity(difference)
    if difference == 0:
        raise InvalidInput({"difference": [_("Un ajustement de zéro n'est pas un mouvement.")]})
    with transaction.atomic():
        return _write_move(
            product=product,
            warehouse=warehouse,
            kind=Kind.ADJUSTMENT,
            quantity=difference,
            reference=reference,
            note=note,
            user=user,
            source=source,
            allow_negative=True,
            alone=True,
        )


# --- Reservations ------------------------------------------------------------------------------


@transactions.atomic
def reserve(*, product, warehouse, quantity, source: tuple[str, int]) -> Reservation:
    """Promise stock to a document (added to what it already reserved). "Available" goes down,
    "on hand" does not. Reserving more than is available is allowed (it shows as a shortage)."""
    quantity = _positive_quantity(quantity)
    _lock_valuation(product)
    level = _lock_level(product, warehouse)
    reservation, _created = Reservation.objects.get_or_create(
        source_type=source[0], source_id=source[1], product=product, warehouse=warehouse, defaults={"quantity": ZERO}
    )
    reservation.quantity += quantity
    reservation.save(update_fields=["quantity"])
    level.reserved += quantity
    level.save(update_fields=["reserved"])
    return reservation


@transactions.atomic
def reserve_for_new_sources(reservations: list[tuple[tuple[str, int], Product, Warehouse, Decimal]]) -> list[Reservation]:
    """``reserve`` for documents that have reserved nothing yet (a page of web orders confirmed
    together, ``sales.services.bulk_orders``), from ``(source, product, warehouse, quantity)``
    tuples. Each quantity must be positive (refused as in ``reserve`` otherwise); the quantities of
    one source, product and warehouse are added up into one reservation.

    In order: the products' stock is locked (``lock_products``, product id order); the
    reservations are inserted in one statement (a source that already has a reservation for the
    product and warehouse breaks the unique constraint: use ``reserve`` for it); the stock levels
    concerned are created when missing and locked in id order (``_locked_levels``), and their
    ``reserved`` raised in one statement. Reserving more than is available is allowed, as in
    ``reserve``. Returns the reservations created."""
    wanted: dict[tuple, Decimal] = {}
    products, warehouses = {}, {}
    for source, product, warehouse, quantity in reservations:
        key = (source, product.pk, warehouse.pk)
        wanted[key] = wanted.get(key, ZERO) + _positive_quantity(quantity)
        products[product.pk], warehouses[warehouse.pk] = product, warehouse
    if not wanted:
        return []
    lock_products(products)
    created = Reservation.objects.bulk_create(
        [
            Reservation(
                source_type=source[0],
                source_id=source[1],
                product=products[product_id],
                warehouse=warehouses[warehouse_id],
                quantity=quantity,
            )
            for (source, product_id, warehouse_id), quantity in wanted.items()
        ]
    )
    added: dict[tuple[int, int], Decimal] = {}
    for (_source, product_id, warehouse_id), quantity in wanted.items():
        added[product_id, warehouse_id] = added.get((product_id, warehouse_id), ZERO) + quantity
    levels = _locked_levels(added)
    for level in levels:
        level.reserved += added[level.product_id, level.warehouse_id]
    StockLevel.objects.bulk_update(levels, ["reserved"])
    return created


def _locked_levels(pairs) -> list[StockLevel]:
    """The levels of (product id, warehouse id) pairs, created when missing, locked in id order."""
    pairs = set(pairs)
    StockLevel.objects.bulk_create(
        [StockLevel(product_id=product_id, warehouse_id=warehouse_id) for product_id, warehouse_id in sorted(pairs)],
        ignore_conflicts=True,
    )
    candidates = StockLevel.objects.select_for_update().filter(
        product_id__in={product_id for product_id, _w in pairs}, warehouse_id__in={warehouse_id for _p, warehouse_id in pairs}
    )
    return [level for level in candidates.order_by("pk") if (level.product_id, level.warehouse_id) in pairs]


@transaction.atomic
def release(*, source: tuple[str, int], product=None) -> Decimal:
    """Give back what a document reserved (all its products, or one). Returns the quantity released."""
    reservations = Reservation.objects.filter(source_type=source[0], source_id=source[1])
    if product is not None:
        reservations = reservations.filter(product=product)
    lock_products(reservations.values_list("product_id", flat=True))
    released = ZERO
    for reservation in reservations.order_by("warehouse_id", "product_id"):
        level = _lock_level(reservation.product, reservation.warehouse)
        level.reserved = max(ZERO, level.reserved - reservation.quantity)
        level.save(update_fields=["reserved"])
        released += reservation.quantity
        reservation.delete()
    return released


def _consume_reservations(lines, warehouse, source) -> list[Decimal]:
    """Shrink the source's reservations by what the ``(product, quantity)`` lines ship (a product
    on two lines uses what the first left); returns how much reserved stock each line used. The
    rows are read locked in one statement (id order), then those used up deleted and the others
    updated, one statement each and only when there are some."""
    rows = Reservation.objects.select_for_update().filter(
        source_type=source[0], source_id=source[1], warehouse=warehouse, product_id__in={product.pk for product, _q in lines}
    )
    reservations = {reservation.product_id: reservation for reservation in rows.order_by("pk")}
    before = {product_id: reservation.quantity for product_id, reservation in reservations.items()}
    used = []
    for product, quantity in lines:
        reservation = reservations.get(product.pk)
        taken = min(reservation.quantity, quantity) if reservation is not None else ZERO
        if taken:
            reservation.quantity -= taken
        used.append(taken)
    touched = [reservation for product_id, reservation in reservations.items() if reservation.quantity != before[product_id]]
    if spent := [reservation.pk for reservation in touched if reservation.quantity == 0]:
        Reservation.objects.filter(pk__in=spent).delete()
    if left := [reservation for reservation in touched if reservation.quantity != 0]:
        Reservation.objects.bulk_update(left, ["quantity"])
    return used


# --- Inventories -------------------------------------------------------------------------------


@transaction.atomic
def open_inventory(*, warehouse: Warehouse, category=None, location=None, user=None, note="") -> Inventory:
    """Open a count of a warehouse (all of it, one category with its sub-categories, or one
    location) and freeze the expected quantity of every product in scope."""
    if location is not None and location.warehouse_id != warehouse.pk:
        raise InvalidInput({"location": [_("Cet emplacement est dans un autre dépôt.")]})
    open_count = Inventory.objects.filter(warehouse=warehouse, status=Inventory.Status.COUNTING)
    if open_count.exists():
        raise Conflict(_("Un inventaire est déjà en cours dans ce dépôt : validez-le ou annulez-le d'abord."))
    inventory = Inventory.objects.create(
        warehouse=warehouse,
        category=category,
        location=location,
        note=note,
        opened_by=user,
        reference=next_reference("inventory", prefix="INV", yearly=True),
    )
    products = Product.objects.filter(kind=Product.Kind.GOODS, is_active=True)
    if category is not None:
        products = in_category(products, category)
    if location is not None:
        products = products.filter(stock_settings__warehouse=warehouse, stock_settings__location=location)
    on_hand = dict(StockLevel.objects.filter(warehouse=warehouse).values_list("product_id", "on_hand"))
    lines = [
        InventoryLine(inventory=inventory, product_id=product_id, expected_quantity=on_hand.get(product_id, ZERO))
        for product_id in products.values_list("pk", flat=True)
    ]
    # Products with stock here but out of the catalogue's active goods are counted too.
    in_scope = {line.product_id for line in lines}
    if category is None and location is None:
        lines += [
            InventoryLine(inventory=inventory, product_id=product_id, expected_quantity=quantity)
            for product_id, quantity in on_hand.items()
            if product_id not in in_scope and quantity
        ]
    InventoryLine.objects.bulk_create(lines, batch_size=2000)
    return inventory


def _counting(inventory: Inventory) -> Inventory:
    inventory = Inventory.objects.select_for_update().get(pk=inventory.pk)
    if inventory.status != Inventory.Status.COUNTING:
        raise TransitionNotAllowed(_("Cet inventaire est clos : on ne peut plus y compter."))
    return inventory


@transaction.atomic
def count(inventory: Inventory, *, code: str = "", product=None, quantity=None, add=True) -> InventoryLine:
    """Record a count: a scanned code adds one (or ``quantity``); with ``add=False`` the typed
    quantity replaces the count. A product outside the frozen scope gets a line of its own."""
    inventory = _counting(inventory)
    if product is None:
        product = find_by_code(code)
        if product is None:
            raise InvalidInput({"code": [_("Aucun produit n'a le code « %(code)s ».") % {"code": code}]})
    try:
        quantity = Decimal(1) if quantity in (None, "") else money.quantity(quantity)
    except (ValueError, TypeError) as exc:
        raise InvalidInput({"quantity": [str(exc)]}) from exc
    if quantity < 0:
        raise InvalidInput({"quantity": [_("Une quantité comptée ne peut pas être négative.")]})
    units.check_quantity(quantity, product.unit)
    line = InventoryLine.objects.select_for_update().filter(inventory=inventory, product=product).first()
    if line is None:
        level = StockLevel.objects.filter(product=product, warehouse=inventory.warehouse).first()
        line = InventoryLine(inventory=inventory, product=product, expected_quantity=level.on_hand if level else ZERO)
    line.counted_quantity = (line.counted_quantity or ZERO) + quantity if add else quantity
    column = InventoryLine._meta.get_field("counted_quantity")
    bounds.check(line.counted_quantity, column.max_digits, column.decimal_places, field="quantity", label=_("quantité"))
    line.save()
    return line


@transaction.atomic
def validate_inventory(inventory: Inventory, *, user=None, uncounted_as_zero: bool = False) -> list[StockMove]:
    """Write one adjustment move per difference, all in one transaction. Lines not counted are
    left as they are, unless ``uncounted_as_zero`` (then they were looked for and not found)."""
    inventory = _counting(inventory)
    lock_products(inventory.lines.values_list("product_id", flat=True))
    moves = []
    for line in inventory.lines.select_related("product").order_by("product_id"):
        counted = line.counted_quantity
        if counted is None:
            if not uncounted_as_zero:
                continue
            counted = ZERO
        difference = counted - line.expected_quantity
        if difference:
            line.adjustment = adjust(
                product=line.product,
                warehouse=inventory.warehouse,
                difference=difference,
                reference=inventory.reference,
                user=user,
                source=("stock.inventory", inventory.pk),
            )
            line.counted_quantity = counted
            line.save(update_fields=["adjustment", "counted_quantity"])
            moves.append(line.adjustment)
    inventory.status = Inventory.Status.VALIDATED
    inventory.validated_at = timezone.now()
    inventory.validated_by = user
    inventory.save(update_fields=["status", "validated_at", "validated_by"])
    return moves


@transaction.atomic
def cancel_inventory(inventory: Inventory) -> Inventory:
    inventory = _counting(inventory)
    inventory.status = Inventory.Status.CANCELLED
    inventory.save(update_fields=["status"])
    return inventory


# --- Ledger check ----------------------------------------------------------------------------


@transaction.atomic
def fix_caches(level_differences, valuation_differences) -> int:
    """Set the cached levels and valuations to what the ledger says. Returns rows corrected."""
    lock_products([difference.product_id for difference in [*level_differences, *valuation_differences]])
    for difference in level_differences:
        level, _created = StockLevel.objects.select_for_update().get_or_create(
            product_id=difference.product_id, warehouse_id=difference.warehouse_id
        )
        setattr(level, difference.field, difference.ledger)
        level.save(update_fields=[difference.field])
    for difference in valuation_differences:
        valuation, _created = ProductValuation.objects.select_for_update().get_or_create(product_id=difference.product_id)
        setattr(valuation, difference.field, difference.ledger)
        valuation.save(update_fields=[difference.field])
    return len(level_differences) + len(valuation_differences)
