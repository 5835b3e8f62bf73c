from django.urls import path

from . import views

app_name = "purchasing"

urlpatterns = [
    path("orders/", views.OrderListView.as_view(), name="order_list"),
    path("orders/new/", views.OrderCreateView.as_view(), name="order_create"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/lines/", views.order_add_line, name="order_add_line"),
    path("orders/<int:pk>/lines/<int:line_pk>/", views.order_line_update, name="order_line_update"),
    path("orders/<int:pk>/send/", views.order_send, name="order_send"),
    path("orders/<int:pk>/pdf/", views.order_pdf, name="order_pdf"),
    path("orders/<int:pk>/email/", views.order_email, name="order_email"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/receive/", views.order_receive, name="order_receive"),
    path("receptions/", views.ReceptionListView.as_view(), name="reception_list"),
    path("receptions/<int:pk>/", views.reception_detail, name="reception_detail"),
    path("receptions/<int:pk>/scan/", views.reception_scan, name="reception_scan"),
    path("receptions/<int:pk>/validate/", views.reception_validate, name="reception_validate"),
    path("receptions/<int:pk>/cancel/", views.reception_cancel, name="reception_cancel"),
    path("invoices/", views.InvoiceListView.as_view(), name="invoice_list"),
    path("invoices/new/", views.invoice_create, name="invoice_create"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/lines/<int:line_pk>/", views.invoice_line_update, name="invoice_line_update"),
    path("invoices/<int:pk>/record/", views.invoice_record, name="invoice_record"),
    path("replenishment/", views.replenishment, name="replenishment"),
    path("products/<int:pk>/prices/", views.product_prices, name="product_prices"),
    path("products/<int:pk>/prices/<int:price_pk>/delete/", views.product_price_delete, name="product_price_delete"),
]
