"""The PrestaShop webservice, on ``requests`` (see fixtures/prestashop/WEBSERVICE.md).

Reads ask for JSON (``output_format=JSON``); writes send XML, the only input format PrestaShop
accepts. Every URL is built from the channel's base URL: an ``xlink:href`` found in a payload
names whatever host the shop believed it was on and is never followed. 5xx answers and network
errors are retried with exponential backoff, then raised; 401 and 404 raise at once with
PrestaShop's own error codes.
"""

import json
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import requests

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
            raise WebserviceError(f"Réponse non JSON de {url}", status=response.status_code, url=url) from exc

    def describe(self) -> ET.Element:
        """``GET /api/``: the shop's name and, per resource, what the key may do (XML only)."""
        response = self._send("GET", self.url(""), params={})
        try:
            return ET.fromstring(response.content)
        except ET.ParseError as exc:
            url = self.url("")
            raise WebserviceError(f"GET {url} : réponse illisible (pas du XML)", status=response.status_code, url=url) from exc

    # --- Writes (XML) -----------------------------------------------------------------------------

    def get_xml(self, resource: str, record_id) -> ET.Element:
        """The full record as XML: what PrestaShop wants back, edited, on a PUT."""
        response = self._send("GET", self.url(resource, record_id), params={})
        return ET.fromstring(response.content)

    def put_xml(self, resource: str, record_id, root: ET.Element, **params) -> ET.Element:
        return self._write("PUT", self.url(resource, record_id), root, params)

    def post_xml(self, resource: str, root: ET.Element, **params) -> ET.Element:
        return self._write("POST", self.url(resource), root, params)

    def _write(self, method, url, root, params) -> ET.Element:
        body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        response = self._send(method, url, params=params, data=body, headers={"Content-Type": "application/xml"})
        return ET.fromstring(response.content) if response.content.strip() else root

    # --- Transport --------------------------------------------------------------------------------

    def _send(self, method: str, url: str, *, params: dict, **kwargs) -> requests.Response:
        if self.id_shop:
            params = {**params, "id_shop": str(self.id_shop)}
        # A POST creates (an order history): sent again after a lost answer it could create twice,
        # so it is tried once here; the push task re-reads the order before trying again.
        attempts = 1 if method == "POST" else self.attempts
        for attempt in range(1, attempts + 1):
            try:
                response = self.session.request(
                    method, url, params=params, auth=(self.api_key, ""), timeout=self.timeout, **kwargs
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                failure = Unreachable(f"{method} {url} : boutique injoignable ({type(exc).__name__})", url=url)
            else:
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


def _records(page, resource: str) -> list[dict]:
    """A list page: ``{"orders": [...]}``, or ``[]`` for an empty list (PS #22760)."""
    if isinstance(page, list):
        return page
    if not page:
        return []
    values = page.get(resource, next(iter(page.values())))
    return values if isinstance(values, list) else [values]
