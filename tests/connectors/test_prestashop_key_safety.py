"""The webservice key goes to the shop's stored address and nowhere else (issue #17, item 11).

The exploit: a sales user changed the shop's address to a server of theirs (the stored key was
kept) and pressed « Tester la connexion »: the key went out as HTTP Basic auth to that server.
Each step now fails: sales may not edit a shop nor test it; an administrator changing the
address must type the key again; the client never follows a redirect, never sends to another
origin, refuses URLs with credentials or another scheme, and (unless the setting allows them)
local or private addresses, checked on the connected socket."""

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connectors.prestashop import services
from connectors.prestashop.client import UnsafeAddress, WebserviceClient, is_public_address, shop_url_problem
from connectors.prestashop.models import ShopChannel
from lmb import roles
from lmb.errors import InvalidInput
from tests.connectors.prestashop_standin import API_KEY
from tests.connectors.test_prestashop_channel_screens import edit_data, form_data, page  # noqa: F401 (fixture)

NEW_KEY = "NEWKEY0123456789NEWKEY0123456789"


class Catcher:
    """A server of the attacker's on 127.0.0.1: it records every Authorization header it gets and
    answers ``status`` (with ``location`` for a redirect)."""

    def __init__(self, status=200, location=""):
        self.keys: list[str] = []
        self.status, self.location = status, location
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                header = self.headers.get("Authorization", "")
                catcher.keys.append(base64.b64decode(header[6:]).decode() if header.startswith("Basic ") else header)
                self.send_response(catcher.status)
                if catcher.location:
                    self.send_header("Location", catcher.location)
                body = b'<?xml version="1.0"?><prestashop><api shopName="Piege"></api></prestashop>'
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/shop"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def catcher():
    with Catcher() as server:
        yield server


def test_sales_can_neither_point_the_shop_elsewhere_nor_test_it(client, make_user, channel, catcher):
    client.force_login(make_user(roles.SALES))
    edit = client.post(f"/connectors/prestashop/{channel.pk}/edit/", edit_data(channel, base_url=catcher.url))
    test = client.post(f"/connectors/prestashop/{channel.pk}/test/")

    assert (edit.status_code, test.status_code) == (403, 403)
    channel.refresh_from_db()
    assert channel.base_url != catcher.url and catcher.keys == []


def test_an_administrator_changing_the_address_must_type_the_key_again(admin_client, channel, standin, catcher):
    response = admin_client.post(f"/connectors/prestashop/{channel.pk}/edit/", edit_data(channel, base_url=catcher.url))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "retapez la clé du webservice" in " ".join(errors["api_key"]), errors
    assert "retapez la clé du webservice" in page(response)
    channel.refresh_from_db()
    assert (channel.base_url, channel.api_key) == (standin.base_url, API_KEY)
    # The connection test still calls the stored address only.
    assert "Connexion réussie" in page(admin_client.post(f"/connectors/prestashop/{channel.pk}/test/"))
    assert catcher.keys == []


def test_the_service_keeps_the_stored_key_away_from_a_new_address(channel, catcher):
    with pytest.raises(InvalidInput) as refused:
        services.update_channel(channel, **{**_settings_of(channel), "base_url": catcher.url, "api_key": ""})
    assert "api_key" in refused.value.errors
    channel.refresh_from_db()
    assert channel.api_key == API_KEY and channel.base_url != catcher.url

    # With the key typed again the new address is taken: the key that goes there is the one typed.
    moved = services.update_channel(channel, **{**_settings_of(channel), "base_url": catcher.url, "api_key": NEW_KEY})
    assert moved.base_url == catcher.url and moved.api_key == NEW_KEY
    services.check_connection(moved)
    assert catcher.keys == [f"{NEW_KEY}:"]


def test_the_same_address_written_differently_keeps_the_key(channel, standin):
    updated = services.update_channel(channel, **{**_settings_of(channel), "base_url": standin.base_url + "/api/"})
    assert updated.api_key == API_KEY


def _settings_of(channel):
    return {
        "name": channel.name,
        "base_url": channel.base_url,
        "api_key": "",
        "id_shop": channel.id_shop,
        "warehouse": channel.warehouse,
    }


def test_the_client_never_follows_a_redirect(catcher):
    with Catcher(status=302, location=catcher.url + "/api/") as redirecting:
        client = WebserviceClient(base_url=redirecting.url, api_key=API_KEY, attempts=1)
        with pytest.raises(UnsafeAddress) as refused:
            client.describe()
    assert "redirige vers " + catcher.url in str(refused.value)
    assert catcher.keys == []


@pytest.mark.parametrize(
    "base_url",
    ["ftp://boutique.example.fr", "https://user:pass@boutique.example.fr", "https://boutique.example.fr?x=1", "https:///shop"],
)
def test_the_client_refuses_urls_it_may_not_call_before_sending_anything(base_url):
    client = WebserviceClient(base_url=base_url, api_key=API_KEY, attempts=1)
    with pytest.raises(UnsafeAddress):
        client.describe()


def test_the_client_sends_nothing_off_the_shops_origin(standin):
    client = WebserviceClient(base_url=standin.base_url, api_key=API_KEY, attempts=1)
    with pytest.raises(UnsafeAddress):
        client._send("GET", "http://127.0.0.2:1/api/", params={})
    assert standin.requests == []


# --- The address policy (PRESTASHOP_ALLOW_PRIVATE_ADDRESSES, on in the tests' settings) ----------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.1.10", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
    ],
)
def test_which_addresses_are_public(address, public):
    assert is_public_address(address) is public


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:8080/shop", "http://localhost/", "http://169.254.169.254/latest", "http://[::1]/"]
)
def test_production_refuses_a_local_or_private_shop_address_on_the_form(admin_client, form_data, settings, base_url):  # noqa: F811
    settings.PRESTASHOP_ALLOW_PRIVATE_ADDRESSES = False
    response = admin_client.post("/connectors/prestashop/new/", {**form_data, "base_url": base_url})

    assert "adresse locale ou privée" in " ".join(response.context["form"].errors["base_url"])
    assert not ShopChannel.objects.exists()
    assert shop_url_problem(base_url, allow_private=True) is None


def test_production_refuses_a_name_that_leads_to_a_local_address_on_connect(standin, settings):
    """127.0.0.1 written as one number passes for a name, and resolves to loopback: the check on
    the connected socket refuses it, before the request (and its key) is sent."""
    settings.PRESTASHOP_ALLOW_PRIVATE_ADDRESSES = False
    port = standin.server.server_address[1]
    client = WebserviceClient(base_url=f"http://2130706433:{port}/shop", api_key=API_KEY, attempts=1)
    with pytest.raises(UnsafeAddress) as refused:
        client.describe()
    assert "127.0.0.1" in str(refused.value) and "adresse locale ou privée" in str(refused.value)
    assert standin.requests == []


def test_a_shop_on_the_local_network_is_reached_when_the_setting_allows_it(standin):
    client = WebserviceClient(base_url=standin.base_url, api_key=API_KEY, attempts=1)
    assert client.describe().find("api") is not None
