"""Back-office screens of sales: lists, the document pages and their transitions, delivery
notes, payments and their allocation."""

from .counter import counter
from .documents import (
    delivery_action,
    delivery_detail,
    delivery_quantity,
    document_action,
    document_create,
    document_detail,
    document_terms,
    line_add,
    line_change,
)
from .invoicing import ToInvoiceListView, grouped_invoicing, grouped_invoicing_run, invoice_now
from .lists import (
    BackorderListView,
    CreditNoteListView,
    DeliveryNoteListView,
    InvoiceListView,
    OrderListView,
    PaymentListView,
    QuoteListView,
    VoucherListView,
)
from .payments import payment_allocate, payment_create, payment_detail

__all__ = [
    "counter",
    "BackorderListView",
    "CreditNoteListView",
    "DeliveryNoteListView",
    "InvoiceListView",
    "OrderListView",
    "PaymentListView",
    "QuoteListView",
    "VoucherListView",
    "ToInvoiceListView",
    "grouped_invoicing",
    "grouped_invoicing_run",
    "invoice_now",
    "delivery_action",
    "delivery_detail",
    "delivery_quantity",
    "document_action",
    "document_create",
    "document_detail",
    "document_terms",
    "line_add",
    "line_change",
    "payment_allocate",
    "payment_create",
    "payment_detail",
]
