"""Read paths of the stock: levels, history, value at a date, rotation, and the ledger check."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import F, Max, Subquery, Sum
from django.utils import timezone

from lmb import money

from .models import ProductValuation, Reservation, StockLevel, StockMove
from .services import next_average_cost

ZERO = Decimal("0")


def levels():
    return StockLevel.objects.select_related("product", "product__category", "warehouse")


def moves():
    return StockMove.objects.select_related("product", "warehouse", "location", "created_by")


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def last_moves_before(moment: datetime):
    """The last move of each product up to ``moment``: it carries the product's stock and
    weighted average cost at that moment."""
    last_ids = StockMove.objects.filter(created_at__lte=moment).values("product").annotate(last=Max("id")).values("last")
    return StockMove.objects.filter(id__in=Subquery(last_ids))


def stock_value_at(day: date) -> Decimal:
    """Value of the whole stock at the end of ``day``: Σ stock × weighted average cost."""
    rows = last_moves_before(end_of_day(day)).values_list("product_quantity_after", "average_cost_after")
    return sum((money.amount(quantity * cost) for quantity, cost in rows.iterator(chunk_size=5000)), ZERO)


def product_quantity_at(product, moment: datetime) -> Decimal:
    move = StockMove.objects.filter(product=product, created_at__lte=moment).order_by("-id").first()
    return move.product_quantity_after if move else ZERO


@dataclass(frozen=True)
class Rotation:
    outgoing: Decimal  # quantity delivered to customers over the period
    average_stock: Decimal
    rate: Decimal | None  # times the average stock was sold over the period
    days_of_cover: Decimal | None  # days the current stock lasts at the period's pace


def rotation(product, *, start: date, end: date) -> Rotation:
    """Rotation rate (outgoing ÷ average stock) and days of cover (stock now ÷ daily outgoing)
    over [start, end]; the average stock is the mean of the stock at both ends."""
    days = (end - start).days + 1
    period = StockMove.objects.filter(
        product=product, created_at__gt=end_of_day(start - timedelta(days=1)), created_at__lte=end_of_day(end)
    )
    delivered = -(period.filter(kind=StockMove.Kind.DELIVERY).aggregate(total=Sum("quantity"))["total"] or ZERO)
    returned = period.filter(kind=StockMove.Kind.CUSTOMER_RETURN).aggregate(total=Sum("quantity"))["total"] or ZERO
    outgoing = delivered - returned
    opening = product_quantity_at(product, end_of_day(start - timedelta(days=1)))
    closing = product_quantity_at(product, end_of_day(end))
    average_stock = money.quantity((opening + closing) / 2)
    rate = money.round_to(outgoing / average_stock, 2) if average_stock > 0 else None
    current = ProductValuation.objects.filter(product=product).values_list("quantity", flat=True).first() or ZERO
    daily = outgoing / days
    cover = money.round_to(current / daily, 1) if daily > 0 else None
    return Rotation(outgoing=outgoing, average_stock=average_stock, rate=rate, days_of_cover=cover)


# --- Ledger check --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    what: str  # "level" or "valuation"
    product_id: int
    warehouse_id: int | None
    field: str
    cached: Decimal
    ledger: Decimal


def level_differences() -> list[Difference]:
    """Every level whose on-hand or reserved quantity differs from the ledger and the open
    reservations (including levels the cache lacks)."""
    on_hand = {
        (row["product"], row["warehouse"]): row["total"]
        for row in StockMove.objects.values("product", "warehouse").annotate(total=Sum("quantity")).order_by()
    }
    reserved = {
        (row["product"], row["warehouse"]): row["total"]
        for row in Reservation.objects.values("product", "warehouse").annotate(total=Sum("quantity")).order_by()
    }
    cached = {
        (product_id, warehouse_id): (cached_on_hand, cached_reserved)
        for product_id, warehouse_id, cached_on_hand, cached_reserved in StockLevel.objects.values_list(
            "product", "warehouse", "on_hand", "reserved"
        ).iterator(chunk_size=10000)
    }
    differences = []
    for key in sorted(set(on_hand) | set(reserved) | set(cached)):
        cached_on_hand, cached_reserved = cached.get(key, (ZERO, ZERO))
        for field, cache_value, ledger_value in (
            ("on_hand", cached_on_hand, on_hand.get(key, ZERO)),
            ("reserved", cached_reserved, reserved.get(key, ZERO)),
        ):
            if cache_value != ledger_value:
                differences.append(Difference("level", key[0], key[1], field, cache_value, ledger_value))
    return differences


def replay_valuations():
    """Replay the ledger, product by product in the order moves were written: yields
    (product_id, quantity, average cost, the first move whose stored snapshot disagrees or None)."""
    rows = StockMove.objects.order_by("product_id", "id").values_list(
        "product_id", "id", "quantity", "unit_cost", "product_quantity_after", "average_cost_after"
    )
    current, quantity, average, first_bad = None, ZERO, ZERO, None
    for product_id, move_id, move_quantity, unit_cost, stored_quantity, stored_average in rows.iterator(chunk_size=20000):
        if product_id != current:
            if current is not None:
                yield current, quantity, average, first_bad
            current, quantity, average, first_bad = product_id, ZERO, ZERO, None
        average = next_average_cost(quantity, average, move_quantity, unit_cost)
        quantity += move_quantity
        if first_bad is None and (stored_quantity != quantity or stored_average != average):
            first_bad = move_id
    if current is not None:
        yield current, quantity, average, first_bad


def valuation_differences() -> tuple[list[Difference], list[tuple[int, int]]]:
    """Cached product valuations that differ from the replayed ledger, and the (product, move)
    pairs where a move's recorded stock or average cost disagrees with the replay."""
    cached = {
        product_id: (quantity, average)
        for product_id, quantity, average in ProductValuation.objects.values_list("product", "quantity", "average_cost")
    }
    differences, bad_moves, seen = [], [], set()
    for product_id, quantity, average, first_bad in replay_valuations():
        seen.add(product_id)
        cached_quantity, cached_average = cached.get(product_id, (ZERO, ZERO))
        if cached_quantity != quantity:
            differences.append(Difference("valuation", product_id, None, "quantity", cached_quantity, quantity))
        if cached_average != average:
            differences.append(Difference("valuation", product_id, None, "average_cost", cached_average, average))
        if first_bad is not None:
            bad_moves.append((product_id, first_bad))
    for product_id, (cached_quantity, _average) in cached.items():
        if product_id not in seen and cached_quantity:
            differences.append(Difference("valuation", product_id, None, "quantity", cached_quantity, ZERO))
    return differences, bad_moves


def shortages():
    """Levels whose reservations exceed the stock on hand."""
    return levels().filter(reserved__gt=F("on_hand"))
