"""The home dashboard (issue #19): known documents give known tile figures to the cent, credit
notes subtract, last year's same days beside, each role sees the panels of its trade, every
figure links to its list filtered, and the page takes a pinned number of queries whatever the
history's size."""

import re
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache

from sales import services
from sales.models import Invoice, Order, PaymentMethod
from stats import dashboard
from stock import services as stock_services
from tests.dunning.conftest import on
from tests.factories import UserFactory
from tests.helpers import get_counting_queries, page_text
from tests.sales import conftest as sales_fixtures

shop = sales_fixtures.shop
TODAY = date(2026, 3, 16)


def invoice(shop, day, *lines, customer=None, issue=True):
    """An invoice of the given (description, net HT, product) lines at 20 %, on ``day``."""
    with on(day):
        draft = services.create_direct_invoice(
            customer=customer or shop.bakery,
            channel=shop.b2b,
            lines=[
                {"description": text, "unit_price": Decimal(net), "quantity": quantity, "vat_rate": Decimal("20"), **extra}
                for text, net, quantity, extra in lines
            ],
        )
        return services.issue_invoice(draft, issue_date=day) if issue else draft


def line(net, description="Prestation", quantity=1, **extra):
    return (description, net, quantity, extra)


def credit(invoice_, day, invoice_line):
    with on(day):
        draft = services.create_credit_note(
            invoice_, reason="Geste commercial", lines=[{"invoice_line": invoice_line, "quantity": 1}]
        )
        return services.issue_credit_note(draft, issue_date=day)


def order(shop, day, *, confirm=True):
    with on(day):
        draft = services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 2}])
        return services.confirm_order(draft) if confirm else draft


@pytest.fixture
def history(shop):
    """Last year: 20 on the 1st, 80 on the 16th, 999 on the 20th (after « today » last year).
    This month: 200 + 30 on the 2nd (the 30 credited today); today: 100 and 50, a draft and a
    deposit invoice that do not count; two orders today, one order last year today."""
    invoice(shop, date(2025, 3, 1), line("20.00"))
    invoice(shop, date(2025, 3, 16), line("80.00"))
    order(shop, date(2025, 3, 16))
    invoice(shop, date(2025, 3, 20), line("999.00"))
    early = invoice(shop, date(2026, 3, 2), line("200.00"), line("30.00", "Livraison express"))
    invoice(shop, TODAY, line("100.00"), line("16.50", "Mug triskell", 2, product=shop.mug))
    invoice(shop, TODAY, line("50.00"))
    invoice(shop, TODAY, line("5000.00"), issue=False)
    taken = order(shop, TODAY)
    order(shop, TODAY)
    order(shop, TODAY, confirm=False)
    with on(TODAY):
        services.receive_deposit(taken, amount=Decimal("10.00"), method=PaymentMethod.CARD, payment_date=TODAY)
    credit(early, TODAY, early.lines.get(description="Livraison express"))
    return early


@pytest.fixture
def admin(db):
    return UserFactory(roles=["administrator"])


def user_with(role):
    return UserFactory(roles=[role])


@pytest.mark.django_db
def test_today_and_month_to_date_beside_last_year_to_the_cent(history):
    overview = dashboard.sales_overview(TODAY)
    today, month = overview.today, overview.month
    # 100 + 2 × 16,50 + 50 − 30 credited today
    assert today.current.net == Decimal("153.00")
    assert today.current.gross == Decimal("183.60")
    assert today.current.invoices == 2
    assert today.current.orders == 2
    assert today.current.average_basket == Decimal("76.50")
    assert today.last_year.net == Decimal("80.00")
    assert today.last_year.orders == 1
    assert today.change_percent == Decimal("91.3")
    assert month.current.net == Decimal("383.00")  # + 230 on the 2nd
    assert month.current.invoices == 3
    assert month.last_year.net == Decimal("100.00")  # the 20th last year is after « today »
    assert month.last_year.invoices == 2
    assert overview.days[1] == (date(2026, 3, 2), Decimal("230.00"), Decimal("0.00"))
    assert overview.days[-1] == (TODAY, Decimal("153.00"), Decimal("80.00"))
    assert overview.months[-1] == (date(2026, 3, 1), Decimal("383.00"), Decimal("1099.00"))
    assert len(overview.months) == 12


@pytest.mark.django_db
def test_a_credit_note_subtracts_on_its_own_date(shop):
    sold = invoice(shop, date(2026, 2, 27), line("40.00"), line("10.00", "Option"))
    credit(sold, TODAY, sold.lines.get(description="Option"))
    overview = dashboard.sales_overview(TODAY)
    assert overview.today.current.net == Decimal("-10.00")
    assert overview.today.current.gross == Decimal("-12.00")
    assert overview.today.current.invoices == 0
    assert overview.today.current.average_basket is None
    assert overview.months[-2][1] == Decimal("50.00")  # February keeps its sale


@pytest.mark.django_db
def test_the_29th_of_february_compares_with_the_28th():
    assert dashboard.one_year_before(date(2028, 2, 29)) == date(2027, 2, 28)


@pytest.mark.django_db
def test_best_sellers_of_the_week_less_returns(shop, history):
    sellers = dashboard.best_sellers(date(2026, 3, 10), TODAY)
    assert [(seller.reference, seller.quantity, seller.net) for seller in sellers] == [
        (shop.mug.reference, Decimal("2"), Decimal("33.00"))
    ]


@pytest.mark.django_db
def test_money_in_today_by_method(shop, history):
    with on(TODAY):
        services.record_payment(customer=shop.bakery, amount=Decimal("120.00"), method=PaymentMethod.TRANSFER, payment_date=TODAY)
        services.record_payment(customer=shop.bakery, amount=Decimal("5.50"), method=PaymentMethod.CARD, payment_date=TODAY)
        services.record_payment(
            customer=shop.bakery, amount=Decimal("7.00"), method=PaymentMethod.CASH, payment_date=date(2026, 3, 15)
        )
    lines = {line.method: (line.amount, line.count) for line in dashboard.money_in(TODAY)}
    assert lines == {"transfer": (Decimal("120.00"), 1), "card": (Decimal("15.50"), 2)}  # with the deposit of 10


@pytest.mark.django_db
def test_orders_to_ship_and_backorders(shop, history):
    first = Order.objects.filter(status=Order.Status.CONFIRMED).order_by("pk").last()
    with on(TODAY):
        note = services.create_delivery_note(first, quantities={first.lines.get().pk: Decimal("1")})
        services.ship_delivery_note(note)
    shipping = dashboard.shipping()
    assert (shipping.to_ship, shipping.partly_shipped, shipping.backorder_lines) == (
        2,
        1,
        3,
    )  # every open line still to ship, as the backorder list


@pytest.mark.django_db
def test_products_under_their_minimum(shop):
    stock_services.set_stock_setting(
        product=shop.mug, warehouse=shop.warehouse, min_quantity=Decimal("150"), max_quantity=Decimal("300")
    )
    stock_services.set_stock_setting(
        product=shop.jam, warehouse=shop.warehouse, min_quantity=Decimal("20"), max_quantity=Decimal("300")
    )
    under = dashboard.under_minimum()
    assert under.count == 1
    assert [(level.reference, level.available, level.minimum) for level in under.first] == [
        (shop.mug.reference, Decimal("100"), Decimal("150"))
    ]


# --- The page ----------------------------------------------------------------------------------

PANELS = {
    "tile-sales-today",
    "tile-sales-month",
    "tile-sales-months",
    "tile-orders",
    "tile-web-orders",
    "tile-stock",
    "tile-money-in",
    "tile-receivables",
    "tile-best-sellers",
}
SEEN_BY = {
    "administrator": PANELS,
    "sales": PANELS - {"tile-stock"},
    "accountant": {"tile-sales-today", "tile-sales-month", "tile-sales-months", "tile-money-in", "tile-receivables"},
    "warehouse": {"tile-orders", "tile-stock"},
    "customer_service": {"tile-orders", "tile-web-orders"},
}


def tiles_of(html: str) -> set[str]:
    return set(re.findall(r'id="(tile-[a-z-]+)"', html))


def links_of(html: str) -> dict[str, str]:
    """{figure name: the href of the link that shows it}."""
    return {figure: href for href, figure in re.findall(r'<a href="([^"]+)"[^>]*data-figure="([a-z-]+)"', html)}


@pytest.mark.parametrize("role", sorted(SEEN_BY))
@pytest.mark.django_db
def test_each_role_sees_the_panels_of_its_trade(client, shop, role):
    client.force_login(user_with(role))
    with on(TODAY):
        html = page_text(client.get("/"))
    assert tiles_of(html) == SEEN_BY[role]
    if role in ("warehouse", "customer_service"):
        assert "€" not in html  # no money on their home page


@pytest.mark.django_db
def test_figures_on_the_page_and_their_links_carry_the_filters(client, shop, history, admin):
    client.force_login(admin)
    with on(TODAY):
        html = page_text(client.get("/"))
    today = html[html.index('id="tile-sales-today"') : html.index('id="tile-sales-month"')]
    assert "153,00\u00a0€" in today and "183,60\u00a0€" in today and "76,50\u00a0€" in today
    assert "80,00\u00a0€" in today and "+91,3 %" in today
    figure_links = links_of(today)
    invoices = urlsplit(figure_links["net"])
    assert invoices.path == "/sales/invoices/"
    assert parse_qs(invoices.query) == {
        "status": ["issued"],
        "kind": ["invoice"],
        "since": ["2026-03-16"],
        "until": ["2026-03-16"],
    }
    orders = urlsplit(figure_links["orders"])
    assert (orders.path, parse_qs(orders.query)) == ("/sales/orders/", {"since": ["2026-03-16"], "until": ["2026-03-16"]})
    month = html[html.index('id="tile-sales-month"') : html.index('id="tile-sales-months"')]
    assert "383,00\u00a0€" in month
    assert parse_qs(urlsplit(links_of(month)["net"]).query)["since"] == ["2026-03-01"]
    assert 'href="/sales/orders/?status=confirmed"' in html
    assert 'href="/sales/orders/?status=partially_delivered"' in html
    assert 'href="/sales/backorders/"' in html
    assert 'href="/stock/?below_minimum=true"' in html
    assert 'href="/dunning/aged-balance/"' in html
    assert 'href="/connectors/prestashop/issues/?status=open"' in html
    assert 'href="/sales/payments/?method=card&since=2026-03-16&until=2026-03-16"' in html
    # the charts' data, as json_script wrote it
    assert '"labels": ["2025-04-01"' in html and '"format": "money"' in html


@pytest.mark.django_db
def test_the_linked_lists_apply_the_filters(client, shop, history, admin):
    """The invoice list the « CA HT » of today links to shows exactly today's two invoices."""
    client.force_login(admin)
    with on(TODAY):
        html = page_text(client.get("/"))
        today_tile = html[html.index('id="tile-sales-today"') : html.index('id="tile-sales-month"')]
        url = links_of(today_tile)["invoices"]
        listed = page_text(client.get(url))
    today = Invoice.objects.filter(invoice_date=TODAY, kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED)
    expected = set(today.values_list("number", flat=True))
    assert len(expected) == 2
    numbers = set(Invoice.objects.exclude(number=None).values_list("number", flat=True))
    assert {number for number in numbers if number in listed} == expected


def home_queries(client) -> int:
    cache.clear()  # the daily sales are kept until a document is issued: count a first visit
    with on(TODAY):
        _response, count = get_counting_queries(client, "/")
    return count


@pytest.mark.django_db
def test_the_dashboard_takes_a_fixed_number_of_queries(client, shop, history, admin, django_assert_max_num_queries):
    """Pinned, and the same with more of everything (O(1) in queries)."""
    client.force_login(admin)
    home_queries(client)  # the first request of a session loads what every page loads once
    cache.clear()
    with django_assert_max_num_queries(19), on(TODAY):
        client.get("/")
    before = home_queries(client)
    for _again in range(3):
        sold = invoice(shop, TODAY, line("12.00", "Mug", 1, product=shop.mug), line("8.00", "Confiture", 1, product=shop.jam))
    credit(sold, TODAY, sold.lines.get(description="Confiture"))
    order(shop, TODAY)
    with on(TODAY):
        services.record_payment(customer=shop.bakery, amount=Decimal("3.00"), method=PaymentMethod.CHEQUE, payment_date=TODAY)
    for product in (shop.mug, shop.jam, shop.lamp):
        stock_services.set_stock_setting(
            product=product, warehouse=shop.warehouse, min_quantity=Decimal("500"), max_quantity=Decimal("900")
        )
    assert home_queries(client) == before


@pytest.mark.django_db
def test_overdue_receivables_agree_with_the_aged_balance(shop):
    """The panel's total and buckets are the aged balance's overdue columns summed, to the cent."""
    from dunning import queries as dunning_queries
    from tests.dunning.conftest import pay

    late = invoice(shop, date(2025, 11, 3), line("100.00"))  # 120 € TTC, due 03/12/2025
    invoice(shop, date(2026, 1, 20), line("50.00"))  # 60 €, due 19/02/2026: 25 days late
    paid_in_part = invoice(shop, date(2026, 2, 2), line("200.00"), customer=sales_fixtures.customer("Crêperie Le Bris"))
    pay(paid_in_part, date(2026, 3, 5), Decimal("40.00"))  # 200 € left, due 04/03/2026
    invoice(shop, date(2026, 3, 10), line("10.00"))  # not due yet
    pay(late, date(2026, 3, 12), Decimal("20.00"))  # 100 € left
    summary = dashboard.overdue(TODAY)
    rows = dunning_queries.aged_balance(as_of=TODAY)
    for bucket in ("late_1_30", "late_31_60", "late_61_90", "late_over_90"):
        assert getattr(summary, bucket) == sum((getattr(row, bucket) for row in rows), Decimal("0.00"))
    assert summary.total == Decimal("360.00")  # 100 + 60 + 200
    assert (summary.late_1_30, summary.late_over_90) == (Decimal("260.00"), Decimal("100.00"))
    assert (summary.customers, summary.installments) == (2, 3)


@pytest.mark.django_db
def test_the_daily_sales_kept_in_the_cache_change_with_an_issued_document(shop, django_assert_num_queries):
    cache.clear()
    invoice(shop, date(2026, 3, 2), line("10.00"))
    assert dashboard.sales_overview(TODAY).month.current.net == Decimal("10.00")
    with django_assert_num_queries(2):  # the chain's state and the orders: the days are kept
        assert dashboard.sales_overview(TODAY).month.current.net == Decimal("10.00")
    sold = invoice(shop, TODAY, line("5.00"), line("1.00", "Option"))
    assert dashboard.sales_overview(TODAY).month.current.net == Decimal("16.00")
    credit(sold, TODAY, sold.lines.get(description="Option"))
    assert dashboard.sales_overview(TODAY).month.current.net == Decimal("15.00")
