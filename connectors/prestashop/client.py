"""The PrestaShop webservice, on ``requests`` (see fixtures/prestashop/WEBSERVICE.md).

Reads ask for JSON (``output_format=JSON``); writes send XML, the only input format PrestaShop
accepts. 5xx answers and network errors are retried with exponential backoff, then raised; 401
and 404 raise at once with PrestaShop's own error codes.

The key goes out with every request (HTTP Basic auth), so the client talks to the shop's stored
address and nowhere else:
- every URL is built from the channel's base URL (an ``xlink:href`` found in a payload names
  whatever host the shop believed it was on and is never followed), and a request to another
  origin is refused before it leaves;
- redirects are never followed: a 3xx answer is an error naming where the shop wanted to send us;
- the base URL must be http(s), without credentials, query or fragment (``shop_url_problem``);
- unless ``PRESTASHOP_ALLOW_PRIVATE_ADDRESSES`` is set, the connection is refused when the
  address it reaches is not a public one (loopback, private network, link-local such as a cloud
  metadata service…): checked on the socket once connected, so a name that resolves (or is made
  to resolve) to such an address is refused too. Through an HTTP(S) proxy set in the
  environment, the proxy is what we connect to, and it decides where requests may go.
"""

import ipaddress
import json
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5, 30)  # seconds to connect, to read
DEFAULT_ATTEMPTS = 4
DEFAULT_BACKOFF = 0.5  # seconds, doubled at each retry
PAGE_SIZE = 100


@dataclass
class ShopError:
    code: str
    message: str


class WebserviceError(Exception):
    """The shop answered with an error, or could not be reached after the retries."""

    def __init__(self, message: str, *, status: int | None = None, errors: list[ShopError] | None = None, url: str = ""):
        self.summary = message
        self.status = status
        self.errors = errors or []
        self.url = url
        detail = "; ".join(f"code {error.code}: {error.message}" for error in self.errors)
        super().__init__(f"{message}{f' ({detail})' if detail else ''}")


class AuthenticationFailed(WebserviceError):
    """401: the webservice key is wrong, disabled, or lacks the permission."""


class NotFound(WebserviceError):
    """404: no such resource or record on the shop."""


class Unreachable(WebserviceError):
    """Network errors or 5xx answers, still failing after every retry."""


class BrokenAnswer(Unreachable):
    """The shop answered 2xx with a body that cannot be read: XML that does not parse, JSON that is
    not, a PHP notice or warning printed before the body. PHP misbehaving on the shop, like a 5xx:
    the message keeps the start of the answer, and the task retries it (bounded) as it does an
    unreachable shop."""


class UnsafeAddress(WebserviceError):
    """Refused before the key is sent: the address is not one the client may call (see the module
    doc), or the shop answered with a redirect."""


# --- Which addresses the key may be sent to ------------------------------------------------------


def private_addresses_allowed() -> bool:
    """``PRESTASHOP_ALLOW_PRIVATE_ADDRESSES``: off in production (a shop is on the internet); on
    for a shop on the local network, and in the tests (the stand-in listens on 127.0.0.1)."""
    return bool(getattr(settings, "PRESTASHOP_ALLOW_PRIVATE_ADDRESSES", False))


def is_public_address(address: str) -> bool:
    """A globally routable IP address (``::ffff:127.0.0.1`` and ``fe80::1%eth0`` are not)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _is_local_name(host: str) -> bool:
    """What the address itself says is not public; names are judged once resolved, on connect."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return not is_public_address(host)


def shop_url_problem(url: str, *, allow_private: bool | None = None) -> str | None:
    """Why ``url`` cannot be a shop's address (a French sentence for the form), or None."""
    allow_private = private_addresses_allowed() if allow_private is None else allow_private
    try:
        parts = urlsplit(url or "")
        parts.port  # noqa: B018 — raises ValueError on a port out of range or not a number
    except ValueError:
        return _("Adresse illisible : écrivez-la comme https://boutique.example.fr.")
    if parts.scheme not in ("http", "https"):
        return _("L'adresse de la boutique commence par https:// (ou http://).")
    if "@" in parts.netloc:
        return _("L'adresse ne doit contenir ni identifiant ni mot de passe (« …@ ») : la clé du webservice suffit.")
    if not parts.hostname:
        return _("Donnez le nom de la boutique dans l'adresse, par exemple https://boutique.example.fr.")
    if parts.query or parts.fragment or (url or "").rstrip().endswith(("?", "#")):
        return _("L'adresse de la boutique est sa racine, sans « ? » ni « # ».")
    if not allow_private and _is_local_name(parts.hostname):
        return _(
            "« %(host)s » est une adresse locale ou privée : LMB n'appelle que des boutiques publiques "
            "(réglage PRESTASHOP_ALLOW_PRIVATE_ADDRESSES pour une boutique du réseau local)."
        ) % {"host": parts.hostname}
    return None


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(parts.scheme)


class _PeerRefused(Exception):
    """Raised from inside urllib3 (not an OSError, so it is neither retried nor wrapped)."""

    def __init__(self, host: str, address: str):
        self.host, self.address = host, address
        super().__init__(f"{host} → {address}")


def _checked(sock, host: str):
    address = sock.getpeername()[0]
    if not is_public_address(address):
        sock.close()
        raise _PeerRefused(host, address)
    return sock


class _PublicHTTPConnection(HTTPConnection):
    def _new_conn(self):
        return _checked(super()._new_conn(), self.host)


class _PublicHTTPSConnection(HTTPSConnection):
    def _new_conn(self):
        return _checked(super()._new_conn(), self.host)


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class PublicAddressAdapter(HTTPAdapter):
    """Direct connections only to public addresses (proxied ones go through requests' own pools)."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}


def parse_errors(body: bytes) -> list[ShopError]:
    """PrestaShop's ``<errors>`` (XML) or ``{"errors": [...]}`` (JSON) body; empty when neither."""
    text = body.decode("utf-8", "replace").strip() if body else ""
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return []
        return [ShopError(str(item.get("code", "")), str(item.get("message", ""))) for item in data.get("errors", [])]
    if text.startswith("<"):
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            return []
        return [
            ShopError((node.findtext("code") or "").strip(), (node.findtext("message") or "").strip())
            for node in root.iter("error")
        ]
    return []


@dataclass
class WebserviceClient:
    base_url: str
    api_key: str
    id_shop: int | None = None
    timeout: tuple = DEFAULT_TIMEOUT
    attempts: int = DEFAULT_ATTEMPTS
    backoff: float = DEFAULT_BACKOFF
    session: requests.Session = field(default_factory=requests.Session)
    allow_private: bool = field(default_factory=private_addresses_allowed)

    def __post_init__(self):
        if not self.allow_private:
            for prefix in ("http://", "https://"):
                self.session.mount(prefix, PublicAddressAdapter())

    @classmethod
    def for_channel(cls, channel, **options) -> "WebserviceClient":
        return cls(base_url=channel.base_url, api_key=channel.api_key, id_shop=channel.id_shop, **options)

    def url(self, resource: str, record_id=None) -> str:
        path = quote(resource.strip("/"))
        if record_id is not None:
            path += "/" + quote(str(record_id), safe="")
        return f"{self.base_url.rstrip('/')}/api/{path}"

    # --- Reads (JSON) ----------------------------------------------------------------------------

    def get(self, resource: str, record_id, **params) -> dict:
        """One record as a dict (the object under its singular key, e.g. ``{"order": {...}}``)."""
        data = self._json("GET", self.url(resource, record_id), params)
        return next(iter(data.values())) if isinstance(data, dict) and len(data) == 1 else data

    def list(
        self,
        resource: str,
        *,
        filters: dict | None = None,
        display: str = "full",
        sort: str = "",
        page_size: int = PAGE_SIZE,
        start: int = 0,
        max_pages: int | None = None,
    ) -> Iterator[dict]:
        """Every record matching ``filters``, page by page (``limit=offset,count``) until a page
        comes back short: the webservice gives no total count."""
        params = {"display": display}
        for name, value in (filters or {}).items():
            params[f"filter[{name}]"] = value
        if any(name in ("date_add", "date_upd") for name in filters or {}):
            params["date"] = "1"  # filtering on a date without it fails (error 32)
        if sort:
            params["sort"] = sort
        offset, pages = start, 0
        while True:
            page = self._json("GET", self.url(resource), {**params, "limit": f"{offset},{page_size}"})
            records = _records(page, resource)
            yield from records
            pages += 1
            if len(records) < page_size or (max_pages and pages >= max_pages):
                return
            offset += page_size

    def _json(self, method: str, url: str, params: dict):
        response = self._send(method, url, params={**params, "output_format": "JSON"})
        if not response.content.strip():
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise _broken(method, url, response, _("pas du JSON")) from exc

    def describe(self) -> ET.Element:
        """``GET /api/``: the shop's name and, per resource, what the key may do (XML only)."""
        response = self._send("GET", self.url(""), params={})
        return _xml_of("GET", self.url(""), response)

    # --- Writes (XML) -----------------------------------------------------------------------------

    def get_xml(self, resource: str, record_id) -> ET.Element:
        """The full record as XML: what PrestaShop wants back, edited, on a PUT."""
        url = self.url(resource, record_id)
        return _xml_of("GET", url, self._send("GET", url, params={}))

    def put_xml(self, resource: str, record_id, root: ET.Element, **params) -> ET.Element:
        return self._write("PUT", self.url(resource, record_id), root, params)

    def post_xml(self, resource: str, root: ET.Element, **params) -> ET.Element:
        return self._write("POST", self.url(resource), root, params)

    def _write(self, method, url, root, params) -> ET.Element:
        body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        response = self._send(method, url, params=params, data=body, headers={"Content-Type": "application/xml"})
        return _xml_of(method, url, response) if response.content.strip() else root

    # --- Transport --------------------------------------------------------------------------------

    def _check_address(self, url: str):
        """Before anything leaves: the shop's own address, and one the client may call."""
        problem = shop_url_problem(self.base_url, allow_private=self.allow_private)
        if problem:
            raise UnsafeAddress(_("Adresse de la boutique refusée : %(problem)s") % {"problem": problem}, url=url)
        if _origin(url) != _origin(self.base_url):
            raise UnsafeAddress(_("%(url)s n'est pas sur l'adresse de la boutique : rien n'est envoyé.") % {"url": url}, url=url)

    def _send(self, method: str, url: str, *, params: dict, **kwargs) -> requests.Response:
        self._check_address(url)
        if self.id_shop:
            params = {**params, "id_shop": str(self.id_shop)}
        # A POST creates (an order history): sent again after a lost answer it could create twice,
        # so it is tried once here; the push task re-reads the order before trying again.
        attempts = 1 if method == "POST" else self.attempts
        for attempt in range(1, attempts + 1):
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    auth=(self.api_key, ""),
                    timeout=self.timeout,
                    allow_redirects=False,  # the key would follow to wherever the shop points
                    **kwargs,
                )
            except _PeerRefused as exc:
                raise UnsafeAddress(
                    _(
                        "%(method)s %(url)s : %(host)s mène à %(address)s, une adresse locale ou privée ; rien n'est "
                        "envoyé (réglage PRESTASHOP_ALLOW_PRIVATE_ADDRESSES pour une boutique du réseau local)"
                    )
                    % {"method": method, "url": url, "host": exc.host, "address": exc.address},
                    url=url,
                ) from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                failure = Unreachable(f"{method} {url} : boutique injoignable ({type(exc).__name__})", url=url)
            else:
                if 300 <= response.status_code < 400:
                    raise UnsafeAddress(
                        _(
                            "%(method)s %(url)s : la boutique redirige vers %(location)s (HTTP %(status)s). LMB ne suit "
                            "pas les redirections : enregistrez l'adresse exacte de la boutique."
                        )
                        % {
                            "method": method,
                            "url": url,
                            "location": response.headers.get("Location", "?"),
                            "status": response.status_code,
                        },
                        status=response.status_code,
                        url=url,
                    )
                if response.status_code < 400:
                    return response
                errors = parse_errors(response.content)
                if response.status_code == 401:
                    raise AuthenticationFailed(
                        f"{method} {url} : clé du webservice refusée (HTTP 401)", status=401, errors=errors, url=url
                    )
                if response.status_code == 404:
                    raise NotFound(f"{method} {url} : introuvable (HTTP 404)", status=404, errors=errors, url=url)
                if response.status_code < 500:
                    raise WebserviceError(
                        f"{method} {url} : refusé (HTTP {response.status_code})",
                        status=response.status_code,
                        errors=errors,
                        url=url,
                    )
                failure = Unreachable(
                    f"{method} {url} : erreur de la boutique (HTTP {response.status_code})",
                    status=response.status_code,
                    errors=errors,
                    url=url,
                )
            logger.warning("PrestaShop attempt %s/%s failed: %s", attempt, attempts, failure)
            if attempt < attempts and self.backoff:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        raise Unreachable(
            f"{failure.summary} — après {attempts} tentative(s)", status=failure.status, errors=failure.errors, url=url
        )


ANSWER_START = 160  # characters of an unreadable answer kept in the error: enough to show a PHP notice


def _broken(method: str, url: str, response: requests.Response, why: str) -> BrokenAnswer:
    start = " ".join(response.content[:ANSWER_START].decode("utf-8", "replace").split())
    return BrokenAnswer(
        _("%(method)s %(url)s : réponse illisible de la boutique (%(why)s), elle commence par « %(start)s »")
        % {"method": method, "url": url, "why": why, "start": start},
        status=response.status_code,
        url=url,
    )


def _xml_of(method: str, url: str, response: requests.Response) -> ET.Element:
    """The answer's XML; one that does not parse (a PHP notice before it, a body cut short) is a
    BrokenAnswer naming how it starts, never an exception the callers do not expect."""
    try:
        return ET.fromstring(response.content)
    except ET.ParseError as exc:
        raise _broken(method, url, response, _("XML qui ne se lit pas : %(error)s") % {"error": exc}) from exc


def _records(page, resource: str) -> list[dict]:
    """A list page: ``{"orders": [...]}``, or ``[]`` for an empty list (PS #22760)."""
    if isinstance(page, list):
        return page
    if not page:
        return []
    values = page.get(resource, next(iter(page.values())))
    return values if isinstance(values, list) else [values]
