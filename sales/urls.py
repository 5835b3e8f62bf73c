from django.urls import path

from . import views
from .views import channels, output, receipts, till, till_sale

app_name = "sales"


def document_urls(segment: str, kind: str, list_view):
    """The pages of one document type: list, new, detail, terms, lines and transitions."""
    kwargs = {"kind": kind}
    return [
        path(f"{segment}/", list_view.as_view(), name=f"{kind}_list"),
        path(f"{segment}/new/", views.document_create, kwargs, name=f"{kind}_create"),
        path(f"{segment}/<int:pk>/", views.document_detail, kwargs, name=f"{kind}_detail"),
        path(f"{segment}/<int:pk>/terms/", views.document_terms, kwargs, name=f"{kind}_terms"),
        path(f"{segment}/<int:pk>/lines/", views.line_add, kwargs, name=f"{kind}_line_add"),
        path(f"{segment}/<int:pk>/lines/<int:line_pk>/", views.line_change, kwargs, name=f"{kind}_line_change"),
        path(f"{segment}/<int:pk>/<slug:action>/", views.document_action, kwargs, name=f"{kind}_action"),
    ]


def output_urls(segment: str, kind: str):
    """The document's PDF and its e-mail; listed before the transitions' ``<slug:action>``."""
    kwargs = {"kind": kind}
    return [
        path(f"{segment}/<int:pk>/pdf/", output.document_pdf, kwargs, name=f"{kind}_pdf"),
        path(f"{segment}/<int:pk>/email/", output.document_email, kwargs, name=f"{kind}_email"),
        path(f"{segment}/print/", output.batch_print, kwargs, name=f"{kind}_batch_print"),
    ]


urlpatterns = [
    *output_urls("quotes", "quote"),
    *output_urls("orders", "order"),
    *output_urls("invoices", "invoice"),
    *output_urls("credit-notes", "credit_note"),
    path("invoices/archive/", output.archive_start, name="invoice_archive"),
    path("invoices/<int:pk>/receipt/", receipts.document_receipt, {"kind": "invoice"}, name="invoice_receipt"),
    path("credit-notes/<int:pk>/receipt/", receipts.document_receipt, {"kind": "credit_note"}, name="credit_note_receipt"),
    path("deliveries/<int:pk>/pdf/", output.delivery_pdf, name="delivery_pdf"),
    path("deliveries/<int:pk>/email/", output.delivery_email, name="delivery_email"),
    path("deliveries/print/", output.batch_print, {"kind": "delivery_note"}, name="delivery_note_batch_print"),
    *document_urls("quotes", "quote", views.QuoteListView),
    *document_urls("orders", "order", views.OrderListView),
    *document_urls("invoices", "invoice", views.InvoiceListView),
    *document_urls("credit-notes", "credit_note", views.CreditNoteListView),
    path("deliveries/", views.DeliveryNoteListView.as_view(), name="delivery_list"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path("deliveries/<int:pk>/lines/<int:line_pk>/", views.delivery_quantity, name="delivery_quantity"),
    path("deliveries/<int:pk>/<slug:action>/", views.delivery_action, name="delivery_action"),
    path("to-invoice/", views.ToInvoiceListView.as_view(), name="to_invoice_list"),
    path("to-invoice/<int:pk>/invoice/", views.invoice_now, name="to_invoice_now"),
    path("grouped-invoicing/", views.grouped_invoicing, name="grouped_invoicing"),
    path("grouped-invoicing/run/", views.grouped_invoicing_run, name="grouped_invoicing_run"),
    path("backorders/", views.BackorderListView.as_view(), name="backorder_list"),
    path("payments/", views.PaymentListView.as_view(), name="payment_list"),
    path("payments/new/", views.payment_create, name="payment_create"),
    path("payments/<int:pk>/", views.payment_detail, name="payment_detail"),
    path("payments/<int:pk>/allocate/", views.payment_allocate, name="payment_allocate"),
    path("vouchers/", views.VoucherListView.as_view(), name="voucher_list"),
    path("channels/", channels.channel_list, name="channel_list"),
    path("channels/<int:pk>/", channels.channel_edit, name="channel_edit"),
    path("counter/", views.counter, name="counter"),
    # Till: registers, sessions, closures (s3)
    path("till/", till.till_home, name="till_home"),
    path("till/registers/", till.register_list, name="till_register_list"),
    path("till/registers/new/", till.register_edit, name="till_register_create"),
    path("till/registers/<int:pk>/", till.register_edit, name="till_register_edit"),
    path("till/registers/<int:register_pk>/open/", till.session_open, name="till_session_open"),
    path("till/sessions/<int:pk>/", till.session_detail, name="till_session"),
    path("till/sessions/<int:pk>/cash/", till.cash_movement, name="till_cash_movement"),
    path("till/sessions/<int:pk>/drawer/", till.drawer_open, name="till_drawer_open"),
    path("till/sessions/<int:pk>/close/", till.session_close, name="till_session_close"),
    path("till/closures/", till.ClosureListView.as_view(), name="till_closure_list"),
    path("till/closures/register/<int:register_pk>/", till.register_closures, name="till_register_closures"),
    path("till/closures/register/<int:register_pk>/new/", till.closure_create, name="till_closure_create"),
    path("till/closures/<int:pk>/", till.closure_detail, name="till_closure"),
    path("till/closures/<int:pk>/pdf/", till.closure_pdf, name="till_closure_pdf"),
    path("till/closures/<int:pk>/ticket/", till.closure_ticket, name="till_closure_ticket"),
    path("till/archives/", till.ArchiveListView.as_view(), name="till_archive_list"),
    path("till/closures/<int:pk>/archive/", till.archive_download, name="till_archive_download"),
    path("till/events/", till.TillEventListView.as_view(), name="till_events"),
    # Till: the sale screen (s4)
    path("till/sessions/<int:pk>/sale/", till_sale.till_sale, name="till_sale"),
    path("till/sessions/<int:pk>/sale/scan/", till_sale.till_scan, name="till_scan"),
    path("till/sessions/<int:pk>/sale/lines/<int:line_pk>/", till_sale.till_line, name="till_line"),
    path("till/sessions/<int:pk>/sale/discount/", till_sale.till_discount, name="till_discount"),
    path("till/sessions/<int:pk>/sale/customer/", till_sale.till_customer, name="till_customer"),
    path("till/sessions/<int:pk>/sale/pay/", till_sale.till_pay, name="till_pay"),
    path("till/sessions/<int:pk>/return/", till_sale.till_return, name="till_return"),
    path("till/sessions/<int:pk>/voucher/", till_sale.till_voucher_sale, name="till_voucher_sale"),
    path("till/tickets/<int:pk>/", till_sale.till_ticket, name="till_ticket"),
    path("till/tickets/<int:pk>/receipt/", till_sale.till_ticket_receipt, name="till_ticket_receipt"),
    path("till/tickets/<int:pk>/reprint/", till_sale.till_ticket_reprint, name="till_ticket_reprint"),
]
