"""Every list page of the project shows its own list: the list template with one row per object
of the page. A list view that renders a detail page's partial (« Inventaires » once showed an
inventory's count table, « Réceptions » a reception's empty lines) fails here, whichever list
it is: the views are found in the URLconf, not named one by one."""

from pathlib import Path

import lxml.html
import pytest
from django.apps import apps
from django.conf import settings
from django.template.loader import get_template
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounting import services as accounting_services
from catalog import services as catalog_services
from connectors.prestashop import services as prestashop_services
from connectors.prestashop.importer import record_issue
from crm import services as crm_services
from lmb.lists import RESULTS_TARGET, ListView
from lmb.text_search import search_text
from purchasing import services as purchasing_services
from sales import services as sales_services
from sales.models import PaymentMethod
from sales.till import services as till_services
from stock import services as stock_services
from tests.factories import CategoryFactory, ThirdPartyFactory
from tests.sales.conftest import customer, shop  # noqa: F401 (the shop fixture)

pytestmark = pytest.mark.django_db

# Lists that are not lmb ListViews, on purpose: the shops' settings page (a handful of shops,
# each with its connection state: a page of cards, not a list to search and export), and the
# Django admin's (support staff's, not the product's), and the sales channels' settings (four or
# five channels, each with its invoicing policy).
# The till's registers are like the channels (a few, each a settings form).
NOT_LIST_VIEWS = {
    "prestashop:channel_list",
    "admin:app_list",
    "sales:channel_list",
    "sales:till_register_list",
}


def _patterns(resolver, namespace=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def list_views() -> dict[str, type]:
    """URL name → view class of every lmb ListView served by the URLconf."""
    views = {}
    for name, pattern in _patterns(get_resolver()):
        view_class = getattr(pattern.callback, "view_class", None)
        if view_class is not None and issubclass(view_class, ListView):
            views[name] = view_class
    return views


def named_lists() -> set[str]:
    return {name for name, _pattern in _patterns(get_resolver()) if name.endswith("_list")}


def fill_every_list(store, user):
    """At least one row for every list: catalogue, third parties, stock, purchasing, the whole
    sales chain, accounting entries and a shop's import error."""
    category = CategoryFactory(name="Cafetières")
    catalog_services.create_price_list(name="Tarif revendeurs", customer_category="reseller")
    crêperie = customer("Crêperie Éole")
    crm_services.log_interaction(third_party=crêperie, kind="incident", subject="Colis abîmé", author=user)
    crm_services.create_task(title="Rappeler", assignee=user, third_party=crêperie, due_date=timezone.localdate())
    supplier = ThirdPartyFactory(name="Fonderie Bretonne", is_customer=False, is_supplier=True)
    purchasing_services.set_supplier_price(product=store.mug, supplier=supplier, purchase_price=2)
    supplier_order = purchasing_services.send_supplier_order(
        purchasing_services.create_supplier_order(
            supplier=supplier, warehouse=store.warehouse, lines=[{"product": store.mug, "quantity": 5}]
        )
    )
    reception = purchasing_services.receive_order(supplier_order, lines=[{"product": store.mug, "quantity": 5}])
    purchasing_services.create_supplier_invoice(
        supplier=supplier,
        number="FF-1",
        invoice_date=timezone.localdate(),
        due_date=timezone.localdate(),
        receptions=[reception],
    )
    stock_services.open_inventory(warehouse=store.warehouse, category=category)

    sales_services.send_quote(
        sales_services.create_quote(customer=crêperie, channel=store.b2b, lines=[{"product": store.mug, "quantity": 2}])
    )
    order = sales_services.confirm_order(
        sales_services.create_order(
            customer=crêperie,
            channel=store.b2b,
            lines=[{"product": store.mug, "quantity": 4}, {"product": store.lamp, "quantity": 1}],
        )
    )
    note = sales_services.create_delivery_note(order, quantities={order.lines.get(product=store.mug, parent=None).pk: 2})
    sales_services.ship_delivery_note(note)
    invoice = sales_services.issue_invoice(sales_services.invoice_order(order))
    sales_services.record_payment(customer=crêperie, amount="10.00", method=PaymentMethod.TRANSFER, invoices=[invoice])
    sales_services.issue_credit_note(sales_services.create_credit_note(invoice, reason="Geste commercial"))
    sales_services.sell_voucher(amount="20.00", method=PaymentMethod.CASH, customer=store.walk_in)
    monthly = sales_services.confirm_order(
        sales_services.create_order(customer=crêperie, channel=store.b2b, lines=[{"product": store.mug, "quantity": 1}])
    )
    sales_services.ship_delivery_note(sales_services.create_delivery_note(monthly))  # « à facturer » until the month's end
    accounting_services.post_pending()

    channel, _secret = prestashop_services.add_channel(
        name="Boutique", base_url="http://127.0.0.1:9/", api_key="K" * 32, warehouse=store.warehouse
    )
    record_issue(channel=channel, external_id="1234", payload={"id": "1234"}, error="Taux de TVA inconnu")
    register = till_services.create_register(code="C1", name="Caisse 1", channel=store.counter, warehouse=store.warehouse)
    # events in the till's journal, and a day closed (Z) for the closures and archives
    session = till_services.open_session(register=register, user=user, opening_float="50.00")
    till_services.close_session(session, user=user, counted_cash={"50": 1})
    till_services.close_day(register=register, day=timezone.localdate(), user=user)


def results_rows(response):
    """The rows of the table inside the list's results block."""
    results = lxml.html.fromstring(response.content.decode()).get_element_by_id(RESULTS_TARGET)
    return results, results.xpath(".//table//tbody/tr")


def test_every_named_list_is_a_list_view():
    assert named_lists() - set(list_views()) - NOT_LIST_VIEWS == set()


def test_each_results_template_belongs_to_its_list_only():
    """A list's results partial shows the page's objects and no other page includes it (the
    inventory and reception lists once shared theirs with the detail page)."""
    ours = [app.path for app in apps.get_app_configs() if "site-packages" not in app.path]  # the project's apps
    roots = [Path(settings.BASE_DIR, "templates"), *map(Path, ours)]
    sources = [
        path.read_text()
        for root in roots
        for path in root.rglob("*")
        if path.suffix in (".py", ".html") and "migrations" not in path.parts
    ]
    for name, view in list_views().items():
        template = view.results_template_name
        assert "object_list" in get_template(template).template.source, (name, template)
        assert sum(source.count(f'"{template}"') for source in sources) == 1, (name, template)


def test_every_list_page_renders_its_list_with_its_rows(shop, admin_client, admin_user):  # noqa: F811
    fill_every_list(shop, admin_user)
    empty = []
    for name, view in list_views().items():
        response = admin_client.get(reverse(name))
        assert response.status_code == 200, name
        used = {template.name for template in response.templates}
        assert {view.template_name, view.results_template_name} <= used, name
        objects = list(response.context["object_list"])
        if not objects:
            empty.append(name)
            continue
        results, rows = results_rows(response)
        assert len(rows) == len(objects), name
        shown = lxml.html.tostring(results, encoding="unicode")
        for obj in objects:
            if hasattr(obj, "get_absolute_url"):
                assert obj.get_absolute_url() in shown, (name, obj)
    assert empty == []


def test_every_list_search_ignores_accents_and_case(shop, admin_client, admin_user):  # noqa: F811
    """Typed without accents and in lower case, the first searchable text of a row finds that row."""
    fill_every_list(shop, admin_user)
    for name, view in list_views().items():
        response = admin_client.get(reverse(name))
        for obj in response.context["object_list"][:1]:
            text = next(filter(None, (_value(obj, field) for field in view.search_fields)), "")
            if not text:
                continue
            typed = search_text(text).lower()
            found = admin_client.get(reverse(name), {"q": typed}).context["object_list"]
            assert obj in list(found), (name, typed)


def _value(obj, path):
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return ""
    return str(obj)
