"""Business events: a lower app announces what happened, a higher app reacts (DESIGN §2).

Sales and stock publish facts ("a delivery note was shipped", "stock moved"); connectors (or any
app allowed to know about them) subscribe in ``AppConfig.ready()``. Subscribers run after the
transaction that published the event commits — never for work that was rolled back — and a
subscriber's failure is logged without undoing the business action (``robust=True``): a
subscriber that must not lose an event records it in its own table and retries from there.
"""

import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

_subscribers: dict[str, list[Callable]] = defaultdict(list)

# The events published, with the keyword arguments each one carries.
ORDER_CONFIRMED = "sales.order_confirmed"  # order_id
ORDER_CANCELLED = "sales.order_cancelled"  # order_id
DELIVERY_NOTE_SHIPPED = "sales.delivery_note_shipped"  # delivery_note_id, order_id
INVOICE_ISSUED = "sales.invoice_issued"  # invoice_id, kind ("invoice" or "deposit")
CREDIT_NOTE_ISSUED = "sales.credit_note_issued"  # credit_note_id, invoice_id
STOCK_MOVED = "stock.moved"  # product_id, warehouse_id


def subscribe(event: str, handler: Callable) -> None:
    """Call ``handler(**payload)`` after every committed ``publish(event, **payload)``."""
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


def unsubscribe(event: str, handler: Callable) -> None:
    if handler in _subscribers[event]:
        _subscribers[event].remove(handler)


def publish(event: str, **payload) -> None:
    """Announce ``event``; subscribers run once the current transaction commits (at once outside one)."""
    for handler in list(_subscribers.get(event, ())):
        transaction.on_commit(_bound(handler, payload), robust=True)


def _bound(handler: Callable, payload: dict) -> Callable:
    # A plain function rather than functools.partial: Django logs a robust callback's failure
    # by its __qualname__, which a partial does not have.
    def deliver():
        handler(**payload)

    deliver.__qualname__ = getattr(handler, "__qualname__", repr(handler))
    return deliver
