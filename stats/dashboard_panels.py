"""The home dashboard's panels (issue #19), put on the home page through ``lmb``'s panel registry
(``stats.apps``): each panel's context reads ``stats.dashboard`` and links every figure to the
list it summarises, filtered with that list's own query parameters."""

from datetime import timedelta
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lmb import roles
from sales.models import Invoice, Order

from . import dashboard

# Which trades see which panel (each also needs the permission of the list it links to).
MONEY_ROLES = (roles.ADMINISTRATOR, roles.SALES, roles.ACCOUNTANT)
ORDER_ROLES = (roles.ADMINISTRATOR, roles.SALES, roles.WAREHOUSE, roles.CUSTOMER_SERVICE)
STOCK_ROLES = (roles.ADMINISTRATOR, roles.WAREHOUSE)
BEST_SELLER_ROLES = (roles.ADMINISTRATOR, roles.SALES)


def link(url_name: str, **params) -> str:
    """The URL of a list with its filters (empty ones left out), dates written ISO as the lists'
    date inputs send them."""
    query = {name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in params.items() if value}
    url = reverse(url_name)
    return f"{url}?{urlencode(query)}" if query else url


def _invoices(start, end) -> str:
    return link("sales:invoice_list", status=Invoice.Status.ISSUED, kind=Invoice.Kind.INVOICE, since=start, until=end)


def _orders(start, end) -> str:
    return link("sales:order_list", since=start, until=end)


def _comparison(comparison: dashboard.Comparison) -> dict:
    current, last_year = comparison.current, comparison.last_year
    return {
        "current": current,
        "last_year": last_year,
        "change_percent": comparison.change_percent,
        "invoices_url": _invoices(current.start, current.end),
        "orders_url": _orders(current.start, current.end),
        "credit_notes_url": link("sales:credit_note_list", status="issued", since=current.start, until=current.end),
        "last_year_url": _invoices(last_year.start, last_year.end),
    }


def sales_panel(request) -> dict:
    today = timezone.localdate()
    overview = dashboard.sales_overview(today)
    this_year, last_year = str(today.year), str(today.year - 1)
    return {
        "today": _comparison(overview.today),
        "month": _comparison(overview.month),
        "days_chart": {
            "type": "sparkline",
            "format": "money",
            "label_format": "date",
            "labels": [day.isoformat() for day, _net, _before in overview.days],
            "datasets": [
                {"label": this_year, "values": [str(net) for _day, net, _before in overview.days]},
                {"label": last_year, "values": [str(before) for _day, _net, before in overview.days]},
            ],
        },
        "months_chart": {
            "type": "bar",
            "format": "money",
            "label_format": "month",
            "labels": [month.isoformat() for month, _net, _before in overview.months],
            "datasets": [
                {"label": _("12 derniers mois"), "values": [str(net) for _month, net, _before in overview.months]},
                {"label": _("un an plus tôt"), "values": [str(before) for _month, _net, before in overview.months]},
            ],
        },
        "months_url": _invoices(overview.months[0][0], today),
    }


def orders_panel(request) -> dict:
    shipping = dashboard.shipping()
    return {
        "shipping": shipping,
        "to_ship_url": link("sales:order_list", status=Order.Status.CONFIRMED),
        "partly_shipped_url": link("sales:order_list", status=Order.Status.PARTIALLY_DELIVERED),
        "backorders_url": link("sales:backorder_list"),
    }


def stock_panel(request) -> dict:
    return {"under_minimum": dashboard.under_minimum(), "under_minimum_url": link("stock:level_list", below_minimum="true")}


def receivables_panel(request) -> dict:
    overdue = dashboard.overdue(timezone.localdate())
    buckets = [
        (_("1 à 30 j"), overdue.late_1_30),
        (_("31 à 60 j"), overdue.late_31_60),
        (_("61 à 90 j"), overdue.late_61_90),
        (_("plus de 90 j"), overdue.late_over_90),
    ]
    return {
        "overdue": overdue,
        "aged_balance_url": link("dunning:aged_balance"),
        "buckets_chart": {
            "type": "bar",
            "format": "money",
            "label_format": "text",
            "labels": [str(label) for label, _amount in buckets],
            "datasets": [{"label": _("Échu"), "values": [str(amount) for _label, amount in buckets]}],
        },
    }


def money_in_panel(request) -> dict:
    today = timezone.localdate()
    lines = dashboard.money_in(today)
    return {
        "lines": [
            {"line": line, "url": link("sales:payment_list", method=line.method, since=today, until=today)} for line in lines
        ],
        "total": sum((line.amount for line in lines), dashboard.ZERO),
        "payments_url": link("sales:payment_list", since=today, until=today),
    }


def best_sellers_panel(request) -> dict:
    today = timezone.localdate()
    start = today - timedelta(days=6)
    return {
        "start": start,
        "best_sellers": [
            {"seller": seller, "url": reverse("catalog:product_detail", args=[seller.product_id])}
            for seller in dashboard.kept("best-sellers", dashboard.best_sellers, start, today)
        ],
        "invoices_url": _invoices(start, today),
    }


PANELS = [
    # (template, permission, context, order, roles, width)
    ("stats/dashboard/sales.html", "sales.view_invoice", sales_panel, 1, MONEY_ROLES, "col-12"),
    ("stats/dashboard/orders.html", "sales.view_order", orders_panel, 20, ORDER_ROLES, "col-md-6 col-xl-4"),
    ("stats/dashboard/stock.html", "stock.view_stocklevel", stock_panel, 30, STOCK_ROLES, "col-md-6 col-xl-4"),
    ("stats/dashboard/money_in.html", "sales.view_payment", money_in_panel, 40, MONEY_ROLES, "col-md-6 col-xl-4"),
    ("stats/dashboard/receivables.html", "dunning.view_customerdunning", receivables_panel, 50, MONEY_ROLES, "col-md-6 col-xl-4"),
    ("stats/dashboard/best_sellers.html", "sales.view_invoice", best_sellers_panel, 60, BEST_SELLER_ROLES, "col-md-6 col-xl-4"),
]
