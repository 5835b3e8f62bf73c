"""Every write path of sales, one function per business action (DESIGN §3). The edges (views,
API, tasks, connectors) call these and never write sales models themselves."""

from .bulk_orders import NewOrder, add_deposit, prepare_order, save_confirmed_orders
from .counter import checkout_at_counter, sell_at_counter
from .credit_notes import create_credit_note, delete_draft_credit_note, issue_credit_note
from .deliveries import cancel_delivery_note, close_backorder, create_delivery_note, set_delivery_quantity, ship_delivery_note
from .documents import add_line, change_line, refresh_totals, remove_line, update_draft
from .invoices import (
    create_direct_invoice,
    create_invoice,
    delete_draft_invoice,
    due_date_for,
    invoice_order,
    issue_invoice,
    receive_deposit,
)
from .payments import ExcessPayment, allocate, apply_customer_credit, issue_voucher, record_payment, refund, sell_voucher
from .quotes_orders import (
    accept_quote,
    cancel_order,
    confirm_order,
    create_order,
    create_quote,
    expire_quotes,
    refuse_quote,
    send_quote,
)

__all__ = [
    "ExcessPayment",
    "NewOrder",
    "accept_quote",
    "add_deposit",
    "add_line",
    "allocate",
    "apply_customer_credit",
    "cancel_delivery_note",
    "cancel_order",
    "change_line",
    "close_backorder",
    "confirm_order",
    "create_credit_note",
    "create_delivery_note",
    "create_direct_invoice",
    "create_invoice",
    "create_order",
    "create_quote",
    "delete_draft_credit_note",
    "delete_draft_invoice",
    "due_date_for",
    "expire_quotes",
    "invoice_order",
    "issue_credit_note",
    "issue_invoice",
    "issue_voucher",
    "prepare_order",
    "receive_deposit",
    "record_payment",
    "refresh_totals",
    "refund",
    "refuse_quote",
    "remove_line",
    "save_confirmed_orders",
    "sell_at_counter",
    "checkout_at_counter",
    "sell_voucher",
    "send_quote",
    "set_delivery_quantity",
    "ship_delivery_note",
    "update_draft",
]
