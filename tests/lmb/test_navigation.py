"""The menu offers a page exactly when the user may open it: an entry reads who may open its page
from the page's own view (lmb.access), so the two cannot disagree. And /admin/ tells a user who
may not enter, instead of sending them round in circles."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from lmb import access, navigation, roles
from tests.helpers import page_text

ROLES = [roles.ADMINISTRATOR, roles.SALES, roles.WAREHOUSE, roles.ACCOUNTANT, roles.CUSTOMER_SERVICE]
# The section pages whose tabs (the same entries as the top bar's drop-downs) are checked too.
SECTION_PAGES = ["sales:order_list", "stock:level_list", "purchasing:order_list", "accounting:exports"]


class _MenuLinks(HTMLParser):
    """The addresses offered inside the top bar's menu (#main-menu) and a section's tabs (.nav-tabs)."""

    VOID = {"input", "img", "br", "hr", "meta", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.links = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.VOID:
            return
        is_menu = attrs.get("id") == "main-menu" or "nav-tabs" in (attrs.get("class") or "").split()
        self.stack.append(is_menu)
        if tag == "a" and any(self.stack) and (attrs.get("href") or "").startswith("/"):
            self.links.add(attrs["href"])

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()


def _menu_links(page: str) -> set[str]:
    parser = _MenuLinks()
    parser.feed(page)
    return parser.links


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_menu_and_the_tabs_offer_exactly_the_pages_the_role_may_open(client, make_user, role):
    """Each role saw tabs leading to « Accès refusé » (the warehouse: Caisse, Devis, Factures…;
    customer service: Inventaires, Réceptions…), and a menu entry carried a permission of its
    own beside the view's."""
    client.force_login(make_user(role))
    every_entry = {reverse(entry.url_name) for section in navigation.sections() for entry in section.entries}
    opens = {url: client.get(url).status_code for url in every_entry}
    assert not [url for url, status in opens.items() if status not in (200, 403)]
    allowed = {url for url, status in opens.items() if status == 200}
    home = page_text(client.get("/"))
    assert _menu_links(home) == allowed
    for url_name in SECTION_PAGES:
        url = reverse(url_name)
        if url in allowed:
            offered = _menu_links(page_text(client.get(url)))
            assert offered <= allowed, f"{url} offers {offered - allowed}"


def test_every_menu_entry_reads_its_permission_from_its_view():
    assert navigation.check_menu() == []
    assert access.required_permissions("stock:valuation") == ("stock.view_stockmove",)  # a function view
    assert access.required_permissions("crm:task_list") == ("crm.view_task",)  # a class view


def test_a_menu_entry_whose_view_declares_no_permission_is_refused_at_start(monkeypatch):
    monkeypatch.setattr(navigation, "_sections", {})
    navigation.register_section(key="tools", label="Outils", icon="tools", order=1)
    navigation.register_menu_item(section="tools", label="Recherche", url_name="search")  # a view that says nothing
    errors = navigation.check_menu()
    assert [error.id for error in errors] == ["lmb.E010"] and "search" in errors[0].msg
    with pytest.raises(ImproperlyConfigured):
        access.required_permissions("search")


def test_no_page_is_in_the_menu_twice():
    """« Modèles d'e-mail » was under Ventes and under Achats: one page, two entries, two sections lit."""
    url_names = [entry.url_name for section in navigation.sections() for entry in section.entries]
    assert sorted(name for name in set(url_names) if url_names.count(name) > 1) == []


def test_a_second_entry_to_a_page_is_refused_at_start(monkeypatch):
    monkeypatch.setattr(navigation, "_sections", {})
    for key in ("sales", "purchasing"):
        navigation.register_section(key=key, label=key, icon="x", order=1)
        navigation.register_menu_item(section=key, label="Modèles d'e-mail", url_name="crm:email_templates")
    errors = navigation.check_menu()
    assert [error.id for error in errors] == ["lmb.E011"] and "crm:email_templates" in errors[0].msg


def _project_views(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern).startswith(("admin/", "api/")):
                continue
            yield from _project_views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_no_page_hides_its_permission_where_a_link_cannot_read_it():
    """Django's own ``permission_required`` keeps the permission inside a closure: a menu could
    not ask the view, and would have to repeat it. Pages use lmb.access.permission_required."""
    hidden = [
        route
        for route, view in _project_views(get_resolver().url_patterns)
        if getattr(view, "__code__", None) and view.__code__.co_filename.endswith("django/contrib/auth/decorators.py")
    ]
    assert hidden == []


@pytest.mark.django_db
def test_the_permission_decorator_refuses_and_lets_through(make_user):
    @access.permission_required("accounting.view_journalentry")
    def page(request):
        return "opened"

    request = RequestFactory().get("/")
    request.user = make_user(roles.ACCOUNTANT)
    assert page(request) == "opened"
    assert page.permission_required == ("accounting.view_journalentry",)
    request.user = make_user(roles.WAREHOUSE)
    with pytest.raises(PermissionDenied):
        page(request)
    assert not access.can_open(AnonymousUser(), "stock:valuation")


@pytest.mark.django_db
def test_the_active_entry_is_the_one_whose_address_fits_the_page_best(make_user):
    menu = navigation.menu_for(make_user(roles.ADMINISTRATOR), "/stock/inventories/12/")
    active = [(section["key"], entry["url_name"]) for section in menu for entry in section["entries"] if entry["active"]]
    assert active == [("stock", "stock:inventory_list")]  # not « Niveaux » (/stock/)
    assert [section["key"] for section in menu if section["active"]] == ["stock"]


@pytest.mark.django_db
def test_admin_tells_a_logged_in_user_without_access_instead_of_looping(client, make_user):
    """/admin/ sent a non-staff user to the admin's login, which sent them to ours, which (being
    logged in) sent them back to /admin/…"""
    client.force_login(make_user(roles.SALES))
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) == 1
    assert "réservée au support technique" in page_text(response)


@pytest.mark.django_db
def test_admin_still_sends_visitors_to_the_login_page_and_lets_staff_in(client, make_user):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "next=%2Fadmin%2F" in response.redirect_chain[-1][0]
    staff = make_user(roles.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/login/?next=/admin/").url == "/admin/"
