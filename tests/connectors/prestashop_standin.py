"""A PrestaShop webservice stand-in on 127.0.0.1 (threaded http.server, port 0) for the tests and
bench/prestashop.py.

It serves the real payloads of fixtures/prestashop/ the way the webservice does (see
WEBSERVICE.md): Basic auth with the key as user name, XML by default and JSON with
``output_format=JSON`` (own id a number, every other value a string), ``display``, ``filter[...]``
(``[a|b]``, ``[a,b]`` intervals, ``>[x]``), ``date=1`` required to filter on dates (error 32),
``sort``, ``limit=offset,count``, ``<errors>`` bodies, an empty JSON list as ``[]``. Writes (XML
PUT/POST) are applied and recorded. Faults can be injected: HTTP 5xx, dropped connections,
hung answers (for client timeouts), and broken answers served 200: ``"notice"`` (a PHP notice
printed before the body, as a shop with display_errors on does) and ``"cut"`` (the body cut short).

A second catalogue, ``shop_variants/`` beside this file, is a clothes shop with combinations
(a T-shirt in sizes S to XL, with and without their own reference or EAN), two languages
(English first, French second), the ``combinations``, ``product_options`` and
``product_option_values`` resources, their ``stock_availables``, and an order for each case of
matching a combination — in pretty-printed XML (``orders_pretty.xml``, ids 5xx) and in JSON
(``orders.json``, the same cases as ids 6xx); ``variant_records`` adds it to the shop.

The fixture files are read as they are. The shop is seeded from them; where the captured files
point at records that were not captured (order 1's customer 25 and address 12, for instance),
the missing record is derived from a captured one of the same resource with the ids changed, so
that every reference resolves on the stand-in. Order 1 is served taxed (``taxed_order_1``): as
captured it charged 0 % on a sale in France, an order LMB refuses (``captured_order_1``).
"""

import base64
import copy
import json
import os
import re
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

XLINK = "{http://www.w3.org/1999/xlink}href"
SINGULAR = {
    "orders": "order",
    "customers": "customer",
    "addresses": "address",
    "countries": "country",
    "order_states": "order_state",
    "order_histories": "order_history",
    "order_carriers": "order_carrier",
    "order_details": "order_detail",
    "order_cart_rules": "order_cart_rule",
    "stock_availables": "stock_available",
    "carriers": "carrier",
    "products": "product",
    "combinations": "combination",
    "product_options": "product_option",
    "product_option_values": "product_option_value",
    "languages": "language",
    "messages": "message",
}
PLURAL = {singular: plural for plural, singular in SINGULAR.items()}
# What PHP prints before the answer when a module misbehaves and display_errors is on.
PHP_NOTICE = (
    b"<br />\n<b>Notice</b>:  Undefined index: id_shop in <b>/var/www/modules/lmbsync/lmbsync.php</b> on line <b>42</b><br />\n"
)
API_KEY = "ZQ88PRJX5VWQHCWE4EE7SQ7HPNX00RAJ"  # 32 characters, like a PrestaShop key


def fixtures_dir() -> Path:
    """LMB_FIXTURES_DIR, else <repo>/../shared/fixtures, else /work/shared/fixtures."""
    repo = Path(__file__).resolve().parents[2]
    candidates = [os.environ.get("LMB_FIXTURES_DIR", ""), str(repo.parent / "shared" / "fixtures"), "/work/shared/fixtures"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "prestashop" / "WEBSERVICE.md").is_file():
            return Path(candidate) / "prestashop"
    raise RuntimeError(
        "PrestaShop fixtures not found: set LMB_FIXTURES_DIR to the folder holding prestashop/ "
        f"(looked in {', '.join(c for c in candidates if c)})"
    )


# --- Reading the fixture files ---------------------------------------------------------------------


def _element_to_value(element: ET.Element):
    children = list(element)
    if not children:
        return (element.text or "").strip()
    if all(child.tag == "language" for child in children):
        return [{"id": child.get("id"), "value": (child.text or "").strip()} for child in children]
    return {child.tag: _element_to_value(child) for child in children}


def _associations(element: ET.Element) -> dict:
    result = {}
    for association in element:
        result[association.tag] = [
            {field.tag: _element_to_value(field) for field in item} or {"id": item.get("id", "")} for item in association
        ]
    return result


def record_from_xml(element: ET.Element) -> dict:
    record = {}
    for child in element:
        if child.tag == "associations":
            record["associations"] = _associations(child)
        else:
            record[child.tag] = _element_to_value(child)
    return record


def load_xml(name: str) -> list[dict]:
    """The records of a fixture file (one record, or a list of them)."""
    root = ET.parse(fixtures_dir() / name).getroot()
    first = root[0]
    if first.tag in PLURAL:
        return [record_from_xml(first)]
    return [record_from_xml(element) for element in first]


def load_json(name: str) -> list[dict]:
    data = json.loads((fixtures_dir() / name).read_text())
    (record,) = data.values()
    return [{key: (str(value) if key == "id" else value) for key, value in record.items()}]


def derived(record: dict, **changes) -> dict:
    """A copy of a captured record with some values changed (new ids, mostly)."""
    copied = copy.deepcopy(record)
    copied.update({key: str(value) for key, value in changes.items()})
    return copied


def order_rows(order: dict) -> list[dict]:
    return (order.get("associations") or {}).get("order_rows") or []


def order_detail(detail: dict, order: dict, row: dict) -> dict:
    """The order_details record of an order row (same id: a row's id is its id_order_detail),
    derived from the captured one; its id_tax_rules_group stays the captured "0" (no group)."""
    return derived(
        detail,
        id=row["id"],
        id_order=order["id"],
        product_id=row["product_id"],
        product_attribute_id=row["product_attribute_id"],
        product_quantity=row["product_quantity"],
        unit_price_tax_incl=row["unit_price_tax_incl"],
        unit_price_tax_excl=row["unit_price_tax_excl"],
    )


def products_of_rows(orders: list[dict], product: dict) -> dict[str, list[dict]]:
    """The ``products`` (and ``combinations``) the fixture orders sell, derived from the captured
    product 21 with each row's own values: rows carry the codes, name and price of what they sell."""
    products, combinations, values, options = {}, {}, {}, {}
    for order in orders:
        for row in order_rows(order):
            if not {"product_id", "product_attribute_id", "product_name"} <= row.keys():
                continue  # a row cut on purpose (a test of missing fields): nothing to derive
            product_id, attribute_id = row["product_id"], row["product_attribute_id"]
            record = derived(product, id=product_id, price=row.get("unit_price_tax_excl", "0"), id_tax_rules_group=0)
            record["name"] = [{"id": "1", "value": row["product_name"]}]
            if attribute_id == "0":
                record.update(reference=row.get("product_reference", ""), ean13=row.get("product_ean13", ""))
            else:  # order 6's combination 521 « Talla : L », its own codes on the row
                name, _sep, value = row["product_name"].rpartition(" Talla : ")
                record.update(reference="", ean13="", price="0.000000", name=[{"id": "1", "value": name}])
                combinations[attribute_id] = {
                    "id": attribute_id,
                    "id_product": product_id,
                    "reference": row.get("product_reference", ""),
                    "ean13": row.get("product_ean13", ""),
                    "price": row.get("unit_price_tax_excl", "0"),
                    "associations": {"product_option_values": [{"id": "52"}]},
                }
                values["52"] = {"id": "52", "id_attribute_group": "5", "name": [{"id": "1", "value": value}]}
                talla = [{"id": "1", "value": "Talla"}]
                options["5"] = {"id": "5", "name": talla, "public_name": talla}
            products[product_id] = record
    return {
        "products": list(products.values()),
        "combinations": list(combinations.values()),
        "product_option_values": list(values.values()),
        "product_options": list(options.values()),
        "languages": [{"id": "1", "name": "Español (Spanish)", "iso_code": "es", "active": "1"}],
    }


VARIANTS_DIR = Path(__file__).resolve().parent / "shop_variants"


def variant_records() -> dict[str, dict[str, dict]]:
    """The clothes shop of ``shop_variants/`` (see the module docstring), by resource and id."""
    root = ET.parse(VARIANTS_DIR / "catalogue_pretty.xml").getroot()
    records = {listing.tag: [record_from_xml(element) for element in listing] for listing in root}
    records["orders"] = [record_from_xml(element) for element in ET.parse(VARIANTS_DIR / "orders_pretty.xml").getroot()[0]]
    listing = json.loads((VARIANTS_DIR / "orders.json").read_text())["orders"]
    records["orders"] += [{key: (str(value) if key == "id" else value) for key, value in order.items()} for order in listing]
    [detail_3] = load_xml("order_details_3.xml")
    records["order_details"] = [order_detail(detail_3, order, row) for order in records["orders"] for row in order_rows(order)]
    records["order_carriers"] = [
        derived(load_xml("order_carriers_2_ps16.xml")[0], id=order["id"], id_order=order["id"], tracking_number="")
        for order in records["orders"]
    ]
    return {resource: {record["id"]: record for record in items} for resource, items in records.items()}


def with_variants(records: dict) -> dict:
    """The default shop with the clothes shop's catalogue and orders added."""
    for resource, items in variant_records().items():
        records.setdefault(resource, {}).update(items)
    return records


def captured_order_1() -> dict:
    """Order 1 as captured (orders_1.xml): a product at 180 TTC for 180 HT, 0 % on a sale in France
    (its shop had no tax rules), which LMB refuses outside the VAT franchise."""
    [order_1] = load_xml("orders_1.xml")
    return order_1


def taxed_order_1() -> dict:
    """Order 1 as a French shop charging VAT sends it: the same 180 TTC paid, 150 HT (20 %)."""
    order_1 = captured_order_1()
    excl = {"total_products": "150.000000", "total_paid_tax_excl": "150.000000"}
    taxed = derived(order_1, **excl)
    taxed["associations"] = {
        "order_rows": [derived(row, unit_price_tax_excl="150.000000", product_price="150.000000") for row in order_rows(order_1)]
    }
    return taxed


def seed_records() -> dict[str, dict[str, dict]]:
    """The default shop, from the fixtures; see the module docstring for the derived records."""
    order_1 = taxed_order_1()
    [order_6] = load_xml("orders_6_list_pretty.xml")
    [order_114] = load_json("orders_114.json")
    [customer_1] = load_xml("customers_1.xml")
    [customer_2] = load_xml("customers_2_devdocs.xml")
    [address_1] = load_xml("addresses_1.xml")
    [address_devdocs] = load_xml("addresses_1_devdocs.xml")
    [country_de] = load_xml("countries_1.xml")
    [state_1] = load_xml("order_states_1.xml")
    [history_1] = load_xml("order_histories_1.xml")
    [stock_10] = load_xml("stock_availables_10.xml")
    [order_carrier_2] = load_xml("order_carriers_2_ps16.xml")
    [carrier_2] = load_xml("carriers_2_ps16.xml")
    [detail_3] = load_xml("order_details_3.xml")
    order_6 = derived(order_6, id_address_delivery=13, id_address_invoice=13)  # its shop's address 12 is order 1's
    records = {
        "orders": [order_1, order_6, order_114],
        "customers": [derived(customer_1, id=25), derived(customer_2, id=6), customer_2],
        "addresses": [
            derived(address_1, id=12, id_customer=25),
            derived(address_devdocs, id=13, id_customer=6, id_country=6, postcode="28001", city="Madrid"),
            derived(address_devdocs, id=5313, id_customer=2),
            address_1,
        ],
        "countries": [
            country_de,
            derived(country_de, id=8, iso_code="FR", name=[{"id": "1", "value": "FRANCE"}]),
            derived(country_de, id=6, iso_code="ES", name=[{"id": "1", "value": "ESPAGNE"}]),
        ],
        "order_states": [state_1]
        + [
            derived(state_1, id=state_id, paid=paid, shipped=shipped, module_name="", name=[{"id": "1", "value": name}])
            for state_id, paid, shipped, name in (
                (2, 1, 0, "Paiement accepté"),
                (4, 1, 1, "Expédié"),
                (5, 1, 1, "Livré"),
                (6, 0, 0, "Annulé"),
                (7, 1, 0, "Remboursé"),
            )
        ],
        "order_histories": [history_1],
        "order_carriers": [
            derived(order_carrier_2, id=order["id"], id_order=order["id"], id_carrier=order["id_carrier"], tracking_number="")
            for order in (order_1, order_6, order_114)
        ],
        "order_details": [
            order_detail(detail_3, order, row) for order in (order_1, order_6, order_114) for row in order_rows(order)
        ],
        "order_cart_rules": [],  # no captured example (SOURCES.md): tests add theirs (order_cart_rule below)
        "carriers": [carrier_2],
        "stock_availables": [stock_10, derived(stock_10, id=24, id_product=24)],
        **products_of_rows([order_1, order_6, order_114], load_xml("products_21.xml")[0]),
        "messages": [],  # an order's messages (the customer's at checkout, the shop staff's notes): none here
    }
    return {resource: {record["id"]: record for record in items} for resource, items in records.items()}


# --- Rendering -------------------------------------------------------------------------------------


def _json_value(key, value):
    if key == "id":
        return int(value) if str(value).isdigit() else value
    return value


def render_json(resource: str, records: list[dict], *, single: bool, fields=None):
    def shape(record):
        return {key: _json_value(key, value) for key, value in record.items() if fields is None or key in fields}

    if single:
        return {SINGULAR[resource]: shape(records[0])}
    if not records:
        return []  # what PrestaShop 1.7.6/1.7.7 answered for an empty list (PS #22760)
    return {resource: [shape(record) for record in records]}


def _append_value(parent: ET.Element, key: str, value, base: str):
    node = ET.SubElement(parent, key)
    if isinstance(value, list):
        for language in value:
            child = ET.SubElement(node, "language", id=str(language["id"]))
            child.text = language["value"]
    elif isinstance(value, dict):
        for sub_key, sub_value in value.items():
            _append_value(node, sub_key, sub_value, base)
    else:
        node.text = str(value)
        target = {"id_customer": "customers", "id_order": "orders", "id_country": "countries"}.get(key)
        if target:
            node.set(XLINK, f"{base}/api/{target}/{value}")


def record_to_xml(resource: str, record: dict, base: str) -> ET.Element:
    element = ET.Element(SINGULAR[resource])
    for key, value in record.items():
        if key == "associations":
            associations = ET.SubElement(element, "associations")
            for name, items in value.items():
                holder = ET.SubElement(associations, name)
                for item in items:
                    item_node = ET.SubElement(holder, name[:-1])
                    for sub_key, sub_value in item.items():
                        _append_value(item_node, sub_key, sub_value, base)
        else:
            _append_value(element, key, value, base)
    return element


def xml_document(*elements) -> bytes:
    root = ET.Element("prestashop")
    root.extend(elements)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def errors_xml(code: str, message: str) -> bytes:
    root = ET.Element("prestashop")
    error = ET.SubElement(ET.SubElement(root, "errors"), "error")
    ET.SubElement(error, "code").text = code
    ET.SubElement(error, "message").text = message
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# --- Filters, sort, pagination ---------------------------------------------------------------------

FILTER = re.compile(r"^(?P<op>!|>|<)?\[(?P<body>.*)\](?P<like>%)?$")


def matches(value: str, expression: str, *, is_date: bool) -> bool:
    found = FILTER.match(expression)
    if not found:
        return False
    op, body = found["op"], found["body"]

    def key(text):
        return text if is_date else (float(text) if re.fullmatch(r"-?\d+(\.\d+)?", text or "") else text.lower())

    if op == ">":
        return key(value) > key(body)
    if op == "<":
        return key(value) < key(body)
    if "," in body:
        low, high = body.split(",", 1)
        return key(low) <= key(value) <= key(high)
    result = any(key(value) == key(option) for option in body.split("|"))
    return not result if op == "!" else result


def filtered(records: list[dict], field: str, expression: str, *, is_date: bool) -> list[dict]:
    """The records whose field matches the filter. Ids listed (``[3|7|12]``, how a page's
    customers are read) are looked up as a set, as PrestaShop's SQL looks them up in its index:
    matching each record against each id would make the stand-in, not the importer, the cost."""
    if field == "id" and re.fullmatch(r"\[\d+(\|\d+)*\]", expression):
        wanted = set(expression[1:-1].split("|"))
        return [record for record in records if str(record.get("id", "")) in wanted]
    return [record for record in records if matches(str(record.get(field, "")), expression, is_date=is_date)]


def sort_records(records: list[dict], expression: str) -> list[dict]:
    for part in reversed(expression.strip("[]").split(",")):
        if not part:
            continue
        name, _, direction = part.rpartition("_")
        numeric = name == "id" or name.startswith("id_")
        records = sorted(
            records,
            key=lambda r, n=name, num=numeric: int(r.get(n) or 0) if num else str(r.get(n, "")),
            reverse=direction.upper() == "DESC",
        )
    return records


# --- The server -------------------------------------------------------------------------------------


class StandinShop:
    """The shop's data, the requests it received, the writes it applied, and the faults to inject."""

    def __init__(self, records=None, api_key=API_KEY):
        self.records = records if records is not None else seed_records()
        self.api_key = api_key
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, dict]] = []
        self.writes: list[dict] = []
        # resource → methods the key may use (GET /api/ shows them, a call without one answers 401,
        # code 26); all when absent
        self.rights: dict[str, set] = {}
        self.faults: list[dict] = []  # {"path": "orders", "status": 500 | "drop" | "hang" | "notice" | "cut", "times": n}
        self.release_hung = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/shop"

    def start(self) -> "StandinShop":
        self.thread.start()
        return self

    def stop(self):
        self.release_hung.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def put_record(self, resource: str, record: dict):
        """Add or replace a record; an order brings the products its rows sell when the shop has
        none of that id (as ``seed_records`` derives them), so that every row's product resolves."""
        with self.lock:
            self.records.setdefault(resource, {})[str(record["id"])] = record
            if resource == "orders":
                for name, items in products_of_rows([record], load_xml("products_21.xml")[0]).items():
                    for item in items:
                        self.records.setdefault(name, {}).setdefault(item["id"], item)

    def inject(self, path: str, status, times: int = 1):
        self.faults.append({"path": path, "status": status, "times": times})

    def writes_to(self, resource: str) -> list[dict]:
        return [write for write in self.writes if write["resource"] == resource]

    def api_root(self) -> bytes:
        """``GET /api/``: the captured root (api_root_devdocs.xml) with one entry per resource
        served here, its rights taken from ``self.rights`` (every method when not listed)."""
        root = ET.parse(fixtures_dir() / "api_root_devdocs.xml").getroot()
        api = root.find("api")
        template = api.find("addresses")
        api.remove(template)
        for resource in sorted(self.records):
            entry = copy.deepcopy(template)
            entry.tag = resource
            allowed = self.rights.get(resource, {"get", "put", "post", "patch", "delete", "head"})
            for method in ("get", "put", "post", "patch", "delete", "head"):
                entry.set(method, "true" if method in allowed else "false")
            api.append(entry)
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)

    def _take_fault(self, path: str):
        with self.lock:
            for fault in self.faults:
                if fault["times"] > 0 and path.startswith(fault["path"]):
                    fault["times"] -= 1
                    return fault["status"]
        return None

    def _handler(self):
        shop = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                self._serve("GET")

            def do_PUT(self):
                self._serve("PUT")

            def do_POST(self):
                self._serve("POST")

            def _serve(self, method):
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = parts.path.removeprefix("/shop/api").strip("/")
                shop.requests.append((method, path, params))
                fault = shop._take_fault(path)
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if fault == "hang":
                    shop.release_hung.wait(timeout=10)  # the client gives up first (read timeout)
                    self.close_connection = True
                    return
                if isinstance(fault, int):
                    return self._reply(fault, errors_xml("0", "Internal error (injected)"), "application/xml")
                self.broken = fault if fault in ("notice", "cut") else None
                if not self._authorised(params):
                    return self._reply(401, errors_xml("18", "Invalid authentication key format"), "application/xml")
                resource, _, record_id = path.partition("/")
                if not resource and method == "GET":
                    return self._reply(200, shop.api_root(), "text/xml")
                if resource in shop.rights and method.lower() not in shop.rights[resource]:
                    # What PrestaShop's WebserviceRequest answers a key without the right.
                    message = f'Resource of type "{resource}" is not allowed with this authentication key'
                    return self._reply(401, errors_xml("26", message), "application/xml")
                if resource not in shop.records:
                    return self._reply(400, errors_xml("22", f'Resource of type "{resource}" does not exists'), "application/xml")
                if method.lower() not in shop.rights.get(resource, {method.lower()}):
                    # PrestaShop's answer to a key without the right (WebserviceRequest, code 26).
                    message = f'Resource of type "{resource}" is not allowed with this authentication key'
                    return self._reply(401, errors_xml("26", message), "application/xml")
                if method == "GET":
                    return self._get(resource, record_id, params)
                return self._write(method, resource, record_id, body, params)

            def _authorised(self, params):
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    user = base64.b64decode(header[6:]).decode().split(":", 1)[0]
                    return user == shop.api_key
                return params.get("ws_key") == shop.api_key

            def _get(self, resource, record_id, params):
                as_json = params.get("output_format", params.get("io_format", "")).upper() == "JSON"
                table = shop.records[resource]
                if record_id:
                    record = table.get(record_id)
                    if record is None:
                        return self._reply(404, errors_xml("87", f"Invalid ID {record_id} (stand-in)"), "application/xml")
                    return self._render(resource, [record], params, as_json, single=True)
                records = list(table.values())
                for name, expression in params.items():
                    if not name.startswith("filter["):
                        continue
                    field = name[7:-1]
                    is_date = field in ("date_add", "date_upd")
                    if is_date and params.get("date") != "1":
                        return self._reply(
                            400, errors_xml("32", "This filter does not exist (date=1 missing)"), "application/xml"
                        )
                    records = filtered(records, field, expression, is_date=is_date)
                records = sort_records(records, params.get("sort", "[id_ASC]"))
                offset, count = 0, None
                if params.get("limit"):
                    pieces = [int(piece) for piece in params["limit"].split(",")]
                    offset, count = (0, pieces[0]) if len(pieces) == 1 else pieces
                records = records[offset : None if count is None else offset + count]
                return self._render(resource, records, params, as_json, single=False)

            def _render(self, resource, records, params, as_json, *, single):
                display = params.get("display", "")
                full = single or display == "full"
                fields = None if full else set(display.strip("[]").split(",")) if display else {"id"}
                if as_json:
                    return self._reply(
                        200, json.dumps(render_json(resource, records, single=single, fields=fields)).encode(), "application/json"
                    )
                if single:
                    return self._reply(200, xml_document(record_to_xml(resource, records[0], shop.base_url)), "text/xml")
                listing = ET.Element(resource)
                for record in records:
                    if fields == {"id"}:
                        ET.SubElement(listing, SINGULAR[resource], id=record["id"])
                    else:
                        shown = record if fields is None else {k: v for k, v in record.items() if k in fields}
                        listing.append(record_to_xml(resource, shown, shop.base_url))
                return self._reply(200, xml_document(listing), "text/xml")

            def _write(self, method, resource, record_id, body, params):
                try:
                    root = ET.fromstring(body)
                    element = root.find(SINGULAR[resource])
                    if element is None:
                        raise ET.ParseError("no record")
                except ET.ParseError:
                    return self._reply(500, errors_xml("0", "String could not be parsed as XML"), "application/xml")
                record = record_from_xml(element)
                with shop.lock:
                    table = shop.records[resource]
                    if method == "PUT":
                        if record_id not in table:
                            # Body captured from PrestaSharp #443 (HTTP 404, code 92).
                            return self._reply(
                                404, (fixtures_dir() / "errors_92_stock_availables_404.xml").read_bytes(), "application/xml"
                            )
                        table[record_id] = {**table[record_id], **record, "id": record_id}
                    else:
                        record["id"] = str(max((int(k) for k in table), default=0) + 1)
                        table[record["id"]] = record
                        if resource == "order_histories":
                            shop.records["orders"][record["id_order"]]["current_state"] = record["id_order_state"]
                    shop.writes.append(
                        {
                            "method": method,
                            "resource": resource,
                            "id": record["id"] if method == "POST" else record_id,
                            "record": record,
                            "params": params,
                        }
                    )
                    saved = table[record["id"] if method == "POST" else record_id]
                return self._reply(
                    200 if method == "PUT" else 201, xml_document(record_to_xml(resource, saved, shop.base_url)), "text/xml"
                )

            def _reply(self, status, body: bytes, content_type: str):
                if getattr(self, "broken", None) == "notice":
                    body = PHP_NOTICE + body
                elif getattr(self, "broken", None) == "cut":
                    body = body[: len(body) // 2]
                self.broken = None
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("PSWS-Version", "8.1.0")
                self.end_headers()
                self.wfile.write(body)

        return Handler


def order_cart_rule(rule_id: int, order_id, name: str, value, value_tax_excl, *, free_shipping=False) -> dict:
    """An ``order_cart_rules`` record (fields of PrestaShop's OrderCartRule: value is tax
    included; numbers with 6 decimals, booleans "0"/"1", as the webservice writes them)."""
    return {
        "id": str(rule_id),
        "id_order": str(order_id),
        "id_cart_rule": str(rule_id),
        "id_order_invoice": "0",
        "name": name,
        "value": f"{value:.6f}",
        "value_tax_excl": f"{value_tax_excl:.6f}",
        "free_shipping": "1" if free_shipping else "0",
        "deleted": "0",
    }


def as_served(resource: str, record: dict, shape: str) -> dict:
    """A record as the connector reads it after the shop wrote it in ``shape``: "json" (a JSON
    body read back) or "xml" (pretty-printed, whitespace around every value, as in
    orders_6_list_pretty.xml, read back the way the fixtures are)."""
    if shape == "json":
        return json.loads(json.dumps(record))
    element = record_to_xml(resource, record, "http://shop.example")
    ET.indent(element, space="  ")
    for node in element.iter():
        if node.text and node.text.strip():
            node.text = f"\n      {node.text}\n    "
    return record_from_xml(ET.fromstring(ET.tostring(element)))


def generated_orders(count: int, *, first_id: int = 1000) -> dict[str, dict]:
    """``count`` orders derived from the fixture orders (new ids, references and dates): the
    bench's shop. Customers and addresses stay the fixtures' ones (repeat buyers)."""
    order_1 = taxed_order_1()
    [order_6] = load_xml("orders_6_list_pretty.xml")
    order_6 = derived(order_6, id_address_delivery=13, id_address_invoice=13)
    templates = [order_1, order_6]
    orders = {}
    for n in range(count):
        order_id = first_id + n
        template = templates[n % len(templates)]
        seconds = n % 60
        minutes = (n // 60) % 60
        hours = n // 3600
        stamp = f"2024-03-01 {hours:02d}:{minutes:02d}:{seconds:02d}"
        order = derived(template, id=order_id, reference=f"B{order_id:08d}", date_add=stamp, date_upd=stamp)
        order["associations"] = {
            "order_rows": [derived(row, id=order_id * 10 + i) for i, row in enumerate(template["associations"]["order_rows"])]
        }
        orders[str(order_id)] = order
    return orders


# Every REPEAT_EVERY-th order of a first sync is a repeat buyer's: the customer (and address) of
# the order REPEAT_BACK places before, new to LMB when that order came, known from then on.
REPEAT_EVERY, REPEAT_BACK = 10, 4  # back an even number: an order of the same template (country)


def with_new_buyers(orders: dict[str, dict], records: dict, *, first_customer_id: int = 100_000) -> dict[str, dict]:
    """The orders placed by buyers LMB has never seen (a shop connected for the first time): each
    gets a customer and an address of its own, derived from its template's (order 1's customer 25
    and French address 12, order 6's customer 6 and Spanish address 13) with new ids and e-mails,
    put into ``records`` (the stand-in's customers and addresses). Every tenth order is a repeat
    buyer's (``REPEAT_EVERY``): new when first seen, known for the orders after it."""
    templates = {"25": ("25", "12"), "6": ("6", "13")}
    buyers: list[tuple[str, str]] = []  # (customer id, address id) of each order, in order
    changed = {}
    for n, (order_id, order) in enumerate(orders.items()):
        if n % REPEAT_EVERY == REPEAT_EVERY - 1 and n >= REPEAT_BACK:
            customer_id, address_id = buyers[n - REPEAT_BACK]
        else:
            customer_id, address_id = str(first_customer_id + n), str(first_customer_id + n)
            customer, address = templates[order["id_customer"]]
            records["customers"][customer_id] = derived(
                records["customers"][customer], id=customer_id, email=f"client{customer_id}@example.org"
            )
            records["addresses"][address_id] = derived(records["addresses"][address], id=address_id, id_customer=customer_id)
        buyers.append((customer_id, address_id))
        changed[order_id] = derived(order, id_customer=customer_id, id_address_invoice=address_id, id_address_delivery=address_id)
    return changed
