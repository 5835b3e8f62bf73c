"""Every page of the connector speaks French to a shopkeeper (issue #17, item 24): LMB's actions
and payment methods by their French names, the sync cursor as a French date, the origin of a
sync and what a push tells the shop in words, and no shop yet: the button to add one (or, for
other roles, whom to ask) instead of a command to run."""

import re
from html.parser import HTMLParser

import pytest

from connectors.prestashop import services
from connectors.prestashop.models import ImportIssue, Push
from lmb import roles

# Codes that mean something to the program, not to a shopkeeper.
ENGLISH_KEYS = re.compile(
    r"\b(shipped|invoiced|cancelled|refunded|date_upd|manage\.py|prestashop_channel|poll|manual|command|"
    r"card|cheque|transfer|direct_debit|state:\d|tracking:\d|stock:\d)\b|\bChannel\b"
)


class _VisibleText(HTMLParser):
    """The text a user reads: no tags, attributes, scripts, nor the shop's raw payload (shown as
    received, on purpose, in the error queue)."""

    SKIPPED = {"script", "style", "title"}

    def __init__(self):
        super().__init__()
        self.parts, self.skipping = [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED or dict(attrs).get("id") == "issue-payload":
            self.skipping.append(tag)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible(response) -> str:
    assert response.status_code == 200, response
    parser = _VisibleText()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split()).replace("\u202f", " ")


@pytest.fixture
def shop(channel):
    """A synced shop with its mappings, every kind of push waiting, and an import error."""
    services.update_channel(
        channel,
        name=channel.name,
        base_url=channel.base_url,
        warehouse=channel.warehouse,
        payment_methods={"ps_checkpayment": "cheque", "ps_wirepayment": "transfer"},
    )
    services.sync_channel(channel, trigger="poll")
    services.sync_channel(channel, trigger="manual")
    for kind, key, payload in (
        (Push.Kind.STATE, "state:7:shipped", {"order": "7", "state": "4", "action": "shipped"}),
        (Push.Kind.TRACKING, "tracking:3", {"order": "7", "tracking_number": "6A123", "delivery_note": "BL2026-000003"}),
        (Push.Kind.STOCK, "stock:12", {"product": 1, "warehouse": 1, "shop_product": "12"}),
    ):
        Push.objects.create(channel=channel, kind=kind, key=key, payload=payload, last_error="HTTP 503")
    channel.refresh_from_db()
    return channel


def pages_of(shop, *, admin: bool) -> dict:
    issue = ImportIssue.objects.filter(channel=shop).first()
    assert issue is not None  # the sync leaves one order it could not import
    urls = {
        "list": "/connectors/prestashop/",
        "detail": f"/connectors/prestashop/{shop.pk}/",
        "issues": "/connectors/prestashop/issues/",
        "issue": f"/connectors/prestashop/issues/{issue.pk}/",
    }
    if admin:
        urls |= {"edit": f"/connectors/prestashop/{shop.pk}/edit/", "new": "/connectors/prestashop/new/"}
    return urls


@pytest.mark.parametrize("role", [roles.ADMINISTRATOR, roles.SALES, roles.CUSTOMER_SERVICE])
def test_no_page_of_the_connector_shows_an_english_key(client, make_user, shop, role):
    client.force_login(make_user(role))
    for name, url in pages_of(shop, admin=role == roles.ADMINISTRATOR).items():
        text = visible(client.get(url))
        assert not ENGLISH_KEYS.search(text), (name, ENGLISH_KEYS.findall(text), text)


def test_the_shop_page_says_in_french_what_is_mapped_synced_and_pushed(admin_client, shop):
    text = visible(admin_client.get(f"/connectors/prestashop/{shop.pk}/"))

    assert "expédiée → 4, facturée → —, annulée → 6, remboursée → 7" in text
    assert "ps_checkpayment → Chèque" in text and "ps_wirepayment → Virement" in text
    assert "Automatique" in text and "Synchroniser maintenant" in text  # the origin of each sync
    assert "Commande 7 : état « expédiée » (id 4)" in text
    assert "Commande 7 : n° de suivi 6A123 (BL2026-000003)" in text
    assert "Produit 12 de la boutique : stock disponible" in text
    cursor = shop.poll_cursor_datetime
    assert cursor is not None and f"Dernière mise à jour lue {cursor:%d/%m/%Y %H:%M:%S}" in text


def test_the_shop_list_shows_the_last_update_read_as_a_french_date(admin_client, shop):
    text = visible(admin_client.get("/connectors/prestashop/"))
    assert "Dernière mise à jour lue" in text and f"{shop.poll_cursor_datetime:%d/%m/%Y %H:%M:%S}" in text


def test_the_settings_form_shows_payment_methods_by_their_french_names_and_takes_them_back(admin_client, shop):
    form = admin_client.get(f"/connectors/prestashop/{shop.pk}/edit/").content.decode()
    assert "ps_checkpayment = Chèque" in form and "Carte bancaire, Virement, Chèque" in form

    services.update_channel(
        shop, name=shop.name, base_url=shop.base_url, payment_methods={"stripe": "carte bancaire", "ps_wire": "Virement"}
    )
    shop.refresh_from_db()
    assert shop.payment_methods == {"stripe": "card", "ps_wire": "transfer"}


@pytest.mark.django_db
def test_no_shop_yet_offers_the_button_to_administrators_and_says_whom_to_ask_to_others(client, make_user):
    client.force_login(make_user(roles.ADMINISTRATOR))
    response = client.get("/connectors/prestashop/")
    assert 'id="no-shop"' in response.content.decode()
    assert 'href="/connectors/prestashop/new/"' in response.content.decode().split('id="no-shop"')[1]
    assert "manage.py" not in visible(response)

    client.force_login(make_user(roles.SALES))
    text = visible(client.get("/connectors/prestashop/"))
    assert "demandez à un administrateur" in text and "Ajouter une boutique" not in text and "manage.py" not in text
