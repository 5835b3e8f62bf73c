"""Import PrestaShop customers, addresses and orders into LMB through the crm and sales services.

An order is imported once: under a lock on its (channel, id) key — a PostgreSQL advisory lock,
backed by the binding's unique constraint — the binding is looked up, and the order created only
when absent. Its lines are entered tax-included as the shop sold them, each at an LMB VAT rate
(the one its tax rules group is mapped to, else the one its prices were computed with: a rate LMB
does not know refuses the order), which must be the rate LMB's VAT treatment of the sale gives in
its country (``check_vat_charged``: export 0 %, OSS the state of delivery's, France a French rate
above 0); the shipping line carries the mapped carrier's name, and the
order the shop's own invoice and delivery addresses; each row sells the LMB product bound to its
combination, matched by the combination's own codes or created (``products``: never a text
line); each cart rule is a reduction line named after it, and the cents the shop's rounding mode
leaves an « Arrondi » line (a cent per rate at most). The LMB totals must then equal the shop's
(products, shipping, discounts, total paid) to the cent, or nothing is kept and the order goes to
the error queue with the differences. A paid web order is a deposit on the order (YE-04):
``receive_deposit`` issues the deposit invoice that the final invoice deducts.
"""

import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import VatRate
from crm import services as crm_services
from crm.models import Address, Civility, CustomerCategory, ThirdParty, TimelineEntry
from lmb import bounds, money, rows, run_cache, transactions
from lmb.errors import DomainError
from lmb.formats import decimal_fr, money_fr
from lmb.models import PaymentTerms
from lmb.validators import compact_siret, compact_vat_number, validate_eu_vat_number, validate_siret
from sales import services as sales_services
from sales.models import DocumentLine, Order, PaymentMethod, VatCategory, VatTreatment
from sales.services import documents
from sales.vat import destination_rate, treatment_label, vat_label

from . import products as shop_products
from .client import AuthenticationFailed, WebserviceClient, WebserviceError
from .models import Binding, ImportIssue, ShopChannel, missing_right_sentence

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
SECRET_FIELDS = ("passwd", "secure_key", "reset_password_token", "last_passwd_gen")
DEFAULT_PAYMENT_METHODS = {
    "ps_checkpayment": PaymentMethod.CHEQUE,
    "ps_wirepayment": PaymentMethod.TRANSFER,
    "paypal": PaymentMethod.PAYPAL,
    "ps_cashondelivery": PaymentMethod.CASH,
}


class ImportRefused(DomainError):
    """The shop's data cannot become an LMB order as it is (the message says why)."""


class TotalsMismatch(ImportRefused):
    """LMB's totals of the order differ from the shop's: never adjusted, kept in the error queue."""


@dataclass
class Outcome:
    external_id: str
    status: str  # created | unchanged | updated | failed | skipped (another shop's order: ``error`` says so)
    order_id: int | None = None
    error: str = ""


@dataclass
class Fetched:
    """What an order needs from the shop besides itself (read before any lock is taken)."""

    customer: dict | None = None
    addresses: dict = field(default_factory=dict)
    bound: dict = field(default_factory=dict)  # (kind, external id) → LMB id, for what is bound already
    memo: dict = field(default_factory=dict)  # lookups kept for a whole sync run (products by code, VAT rates)
    tax_groups: dict = field(default_factory=dict)  # order row id → id_tax_rules_group (from order_details)
    cart_rules: list = field(default_factory=list)  # the order's order_cart_rules (read when it has discounts)
    rows: dict = field(default_factory=dict)  # (model, id) → the bound customers and addresses read (for one page)
    # (kind, external id) → the customer or address new to LMB, built for a page to write with its orders
    new: dict = field(default_factory=dict)
    products: dict = field(default_factory=dict)  # "product_id:attribute_id" → ShopItem, for the rows not bound yet
    may_create: bool = True  # False while a page is prepared in memory: an order creating a product goes alone
    # The order's messages (``messages`` resource); None when the key may not read them.
    messages: list | None = field(default_factory=list)

    def row(self, model, pk: int):
        """A bound customer or address, read once for the orders that share this memo (a page's)."""
        if (model, pk) not in self.rows:
            self.rows[model, pk] = rows.get_row(model, pk)
        return self.rows[model, pk]


# --- Reading values the way the webservice writes them ---------------------------------------------


def text(payload: dict, name: str) -> str:
    value = payload.get(name, "")
    if isinstance(value, list):  # a multilingual field: [{"id": "1", "value": "…"}]
        value = value[0]["value"] if value else ""
    return str(value if value is not None else "").strip()


# No LMB column holds a number with more digits than this: beyond, the shop's value is refused
# at once (the columns' own limits are checked by the sales services, naming the field).
LARGEST_DIGITS = {"max_digits": 20, "decimal_places": 6}


class MissingField(ImportRefused):
    """A value the import reads is absent from the shop's payload: never taken as 0 or ""."""


def missing_field(name: str, where: str) -> MissingField:
    return MissingField(
        _("Le champ %(field)s manque %(where)s : la commande n'est pas importée plutôt que de le lire comme 0 ou vide.")
        % {"field": name, "where": where}
    )


def require(payload: dict, names, where: str):
    """Refuse, naming the first one, when a field the import reads is absent (``where``: « dans la
    commande », « dans la ligne … », in French)."""
    for name in names:
        if name not in payload:
            raise missing_field(name, where)


# What the import reads from an order, a row, a customer and an address. An absent field refuses
# the order naming it (WEBSERVICE.md: PrestaShop 1.6 to 8 always send them; a payload without one
# was cut, or comes from a module that does not fill it). Optional texts (company, address2,
# phone…) are read as "" when absent: an empty text is what the shop means there.
ORDER_FIELDS = (
    "id",
    "id_customer",
    "id_address_invoice",
    "id_address_delivery",
    "id_currency",
    "id_carrier",
    "current_state",
    "reference",
    "module",
    "payment",
    "date_add",
    "date_upd",
    "total_products_wt",
    "total_shipping_tax_incl",
    "carrier_tax_rate",
    "total_discounts_tax_incl",
    "total_wrapping_tax_incl",
    "total_wrapping_tax_excl",
    "total_paid",
    "total_paid_tax_incl",
    "total_paid_real",
)
ROW_FIELDS = (
    "id",
    "product_id",
    "product_attribute_id",
    "product_quantity",
    "product_name",
    "product_reference",
    "product_ean13",
    "unit_price_tax_incl",
    "unit_price_tax_excl",
)
CUSTOMER_FIELDS = ("id", "email", "lastname", "firstname")
ADDRESS_FIELDS = ("id", "id_country", "lastname", "firstname", "address1", "postcode", "city")


def check_order_fields(order: dict):
    """Every field the import reads from the order and its rows is there, or the order is refused
    naming the first one missing. An order without rows is refused too (never an empty order)."""
    where = _("dans la commande PrestaShop")
    require(order, ORDER_FIELDS, where)
    if not isinstance(order.get("associations"), dict) or not order["associations"].get("order_rows"):
        raise missing_field("associations/order_rows", where)
    for row in rows_of(order):
        require(row, ROW_FIELDS, _("dans la ligne n° %(id)s de la commande PrestaShop") % {"id": text(row, "id") or "?"})


def decimal(payload: dict, name: str) -> Decimal:
    """The number the field holds; absent or empty, it is refused naming the field (never 0)."""
    if name not in payload:
        raise missing_field(name, _("dans les données de la boutique"))
    raw = text(payload, name)
    if not raw:
        raise ImportRefused(_("Le champ %(field)s est vide : ce n'est pas un nombre.") % {"field": name})
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ImportRefused(
            _("Le champ %(field)s vaut « %(value)s » : ce n'est pas un nombre.") % {"field": name, "value": raw}
        ) from exc
    if not bounds.fits(value, **LARGEST_DIGITS):
        raise ImportRefused(
            _("Le champ %(field)s vaut « %(value)s » : ce nombre est trop grand pour LMB.") % {"field": name, "value": raw}
        )
    return value


def fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def without_secrets(payload: dict) -> dict:
    return {key: value for key, value in payload.items() if key not in SECRET_FIELDS}


def rows_of(order: dict) -> list[dict]:
    rows = (order.get("associations") or {}).get("order_rows") or []
    return rows if isinstance(rows, list) else [rows]


def rate_between(incl: Decimal, excl: Decimal) -> Decimal:
    """The VAT rate a row's tax-included and tax-excluded unit prices imply (rows carry no rate),
    to two decimal places: what the messages show."""
    if excl <= 0:
        return ZERO
    return money.round_to((incl / excl - 1) * 100, 2)


# A rate explains a row's prices when it turns the tax-excluded unit price into the tax-included
# one to within a cent: unit prices are stored with 6 decimals, some shops derive one from the
# other rounded to the cent.
PRICE_TOLERANCE = Decimal("0.01")


def price_gap(incl: Decimal, excl: Decimal, rate: Decimal) -> Decimal:
    return abs(excl * (1 + rate / 100) - incl)


def lmb_rates(memo: dict) -> list[Decimal]:
    """Every VAT rate LMB knows today (any territory, the EU states' for OSS) and 0 %."""
    if "vat_rates" not in memo:
        today = timezone.localdate()
        current = VatRate.objects.filter(valid_from__lte=today).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        memo["vat_rates"] = sorted({ZERO, *current.values_list("rate", flat=True)})
    return memo["vat_rates"]


def matching_rate(incl: Decimal, excl: Decimal, rates: list[Decimal]) -> Decimal | None:
    """The LMB rate that best explains the prices, or None when none does to within a cent."""
    gap, rate = min((price_gap(incl, excl, rate), rate) for rate in rates)
    return rate if gap <= PRICE_TOLERANCE else None


def _vat_rate_of_code(code: str, memo: dict) -> VatRate:
    if "vat_codes" not in memo:
        memo["vat_codes"] = {rate.code: rate for rate in VatRate.objects.all()}
    if code not in memo["vat_codes"]:
        raise ImportRefused(_("Le taux de TVA %(code)s associé à un groupe de taxes n'existe plus dans LMB.") % {"code": code})
    return memo["vat_codes"][code]


def _rate_of_code(code: str, memo: dict) -> Decimal:
    return _vat_rate_of_code(code, memo).rate


# --- Locks and bindings ---------------------------------------------------------------------------


def _lock(channel: ShopChannel, kind: str, external_id: str):
    """Serialise everything that imports this object, until the transaction ends (PostgreSQL;
    SQLite serialises writers anyway)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(channel, kind, external_id)])


def _lock_key(channel: ShopChannel, kind: str, external_id: str) -> int:
    digest = hashlib.blake2b(f"prestashop:{channel.pk}:{kind}:{external_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def bound_id(channel: ShopChannel, kind: str, external_id: str) -> int | None:
    return (
        Binding.objects.filter(channel=channel, kind=kind, external_id=str(external_id))
        .values_list("object_id", flat=True)
        .first()
    )


def _bind(channel, kind, external_id, object_id, **fields) -> Binding:
    return Binding.objects.create(channel=channel, kind=kind, external_id=str(external_id), object_id=object_id, **fields)


# --- Customers and addresses ----------------------------------------------------------------------


def _checked(validate, compact, value: str, what: str) -> str:
    """A SIRET or VAT number from the shop, checked by python-stdnum (lmb.validators) and compacted;
    one that does not check refuses the order naming it (never a business sale on a wrong number)."""
    try:
        validate(value)
    except ValidationError as error:
        raise ImportRefused(_("%(what)s : %(error)s") % {"what": what, "error": " ".join(error.messages)}) from error
    return compact(value)


def address_vat_number(address: dict | None) -> str:
    """The VAT number of a shop address (``vat_number``: a business buying), checked; "" when none."""
    if not address or not text(address, "vat_number"):
        return ""
    what = _("Champ vat_number de l'adresse PrestaShop n° %(id)s") % {"id": text(address, "id")}
    return _checked(validate_eu_vat_number, compact_vat_number, text(address, "vat_number"), what)


def _business_identifiers(payload: dict, billing: dict | None) -> tuple[dict, str]:
    """A business customer's identifiers — the VAT number of its billing address and, for a
    business (a company name, or that VAT number) billed in France, the SIRET the shop keeps on the
    customer (B2B mode) — and what the customer's notes keep of a ``siret`` not taken: a consumer's
    or another country's (not a SIRET), or one that does not check (shops leave placeholders such
    as 00000000000 there; it does not decide the VAT, so the order is not refused for it)."""
    identifiers = {"vat_number": address_vat_number(billing)}
    siret, kept = text(payload, "siret"), ""
    is_business = bool(text(payload, "company") or identifiers["vat_number"])
    if siret and is_business and billing is not None and billing.get("_country") == "FR":
        try:
            validate_siret(siret)
            identifiers["siret"] = compact_siret(siret)
        except ValidationError as error:
            kept = _("SIRET sur la boutique non repris : %(error)s") % {"error": " ".join(error.messages)}
    elif siret:
        kept = _("N° d'entreprise sur la boutique : %(number)s.") % {"number": siret}
    return {name: value for name, value in identifiers.items() if value}, kept


def _customer_fields(channel: ShopChannel, payload: dict, billing: dict | None = None) -> dict:
    """A new LMB customer from the shop's customer and the billing address of its first order
    (``billing``, None when already bound): a company (its name from the customer, else from the
    address) when either names one with a VAT number, or the customer has a company name."""
    identifiers, siret_note = _business_identifiers(payload, billing)
    company = text(payload, "company")
    if not company and identifiers.get("vat_number"):
        person = " ".join(part for part in (text(payload, "firstname"), text(payload, "lastname")) if part)
        company = text(billing, "company") or person  # a sole trader may give no company name
    notes = _("Client de la boutique PrestaShop %(shop)s, n° %(id)s.") % {"shop": channel.name, "id": text(payload, "id")}
    if siret_note:
        notes += " " + siret_note
    fields = {
        "email": text(payload, "email"),
        "is_customer": True,
        "payment_terms": PaymentTerms.ON_RECEIPT,  # a web order is paid at checkout
        "notes": notes,
    }
    civility = {"1": Civility.MR, "2": Civility.MRS}.get(text(payload, "id_gender"), "")
    if company:
        return {
            **fields,
            **identifiers,
            "kind": ThirdParty.Kind.COMPANY,
            "name": company,
            "customer_category": CustomerCategory.BUSINESS,
        }
    return {
        **fields,
        "kind": ThirdParty.Kind.INDIVIDUAL,
        "last_name": text(payload, "lastname"),
        "first_name": text(payload, "firstname"),
        "civility": civility,
        "customer_category": CustomerCategory.CONSUMER,
    }


def _customer(channel, external_id: str, payload: dict | None, fetched: Fetched, billing: dict | None = None) -> ThirdParty:
    bound = fetched.bound
    if (Binding.Kind.CUSTOMER, external_id) in bound:  # bindings are never removed: no lock needed
        return fetched.row(ThirdParty, bound[Binding.Kind.CUSTOMER, external_id])
    if (Binding.Kind.CUSTOMER, external_id) in fetched.new:  # built for the page, written with its orders
        return fetched.new[Binding.Kind.CUSTOMER, external_id]
    _lock(channel, Binding.Kind.CUSTOMER, external_id)
    existing = bound_id(channel, Binding.Kind.CUSTOMER, external_id)
    if existing:
        return rows.get_row(ThirdParty, existing)
    if payload is None:
        raise ImportRefused(_("Le client PrestaShop n° %(id)s n'a pas été lu.") % {"id": external_id})
    customer = _customer_of_email(channel, _email(payload))
    if customer is None:
        customer = crm_services.create_third_party(**_customer_fields(channel, payload, billing))
    _bind(channel, Binding.Kind.CUSTOMER, external_id, customer.pk, **_customer_binding(payload))
    return customer


def _email(customer: dict) -> str:
    """The shop customer's e-mail as bindings keep it (guests of one address are one customer)."""
    return text(customer, "email").lower()


def _customer_binding(payload: dict) -> dict:
    """What a customer's binding keeps besides its ids: the shop's customer as imported, its e-mail."""
    return {"fingerprint": fingerprint(without_secrets(payload)), "email": _email(payload)}


def _customer_of_email(channel: ShopChannel, email: str) -> ThirdParty | None:
    """The LMB customer already imported from this shop with this e-mail, when the shop merges its
    guests (ShopChannel.merge_customers_by_email): each guest checkout is a new PrestaShop customer
    of the same address, one LMB customer. Under a lock on the address, so that two guests of it
    imported at once still make one customer. Only this shop's customers: another shop's, or one
    typed in LMB, may share an address without being the same buyer."""
    if not channel.merge_customers_by_email or not email:
        return None
    _lock(channel, "customer-email", email)
    found = (
        Binding.objects.filter(channel=channel, kind=Binding.Kind.CUSTOMER, email=email)
        .order_by("pk")
        .values_list("object_id", flat=True)
        .first()
    )
    return rows.get_row(ThirdParty, found) if found else None


def country_of(channel: ShopChannel, client: WebserviceClient, country_id: str) -> str:
    """The ISO code of a shop's country id, read once and kept on the channel."""
    if country_id not in channel.countries:
        country = client.get("countries", country_id)
        require(country, ("iso_code",), _("dans le pays PrestaShop n° %(id)s") % {"id": country_id})
        iso = text(country, "iso_code").upper()
        channel.countries = {**channel.countries, country_id: iso}
        ShopChannel.objects.filter(pk=channel.pk).update(countries=channel.countries)
    return channel.countries[country_id]


def _address(
    channel, customer: ThirdParty, external_id: str, payload: dict | None, kind: str, bound: dict, new: dict
) -> Address | int:
    """The LMB address bound to the shop's (its id only when it was bound already; ``new``: the
    addresses built for the page)."""
    if (Binding.Kind.ADDRESS, external_id) in bound:
        return bound[Binding.Kind.ADDRESS, external_id]
    if (Binding.Kind.ADDRESS, external_id) in new:  # built for the page, written with its orders
        return new[Binding.Kind.ADDRESS, external_id]
    _lock(channel, Binding.Kind.ADDRESS, external_id)
    existing = bound_id(channel, Binding.Kind.ADDRESS, external_id)
    if existing:
        return Address.objects.get(pk=existing)
    if payload is None:
        raise ImportRefused(_("L'adresse PrestaShop n° %(id)s n'a pas été lue.") % {"id": external_id})
    address = crm_services.add_address(customer, **_address_fields(payload, kind, customer.name))
    _bind(channel, Binding.Kind.ADDRESS, external_id, address.pk, fingerprint=fingerprint(payload))
    return address


def _address_fields(payload: dict, kind: str, customer_name: str) -> dict:
    """An LMB address from the shop's. Too long for LMB's columns, the shop's values are refused
    (error queue) by the crm services, never cut."""
    recipient = " ".join(part for part in (text(payload, "firstname"), text(payload, "lastname")) if part)
    company = text(payload, "company")
    return {
        "kind": kind,
        "label": text(payload, "alias"),
        "recipient": f"{company} — {recipient}" if company and company != customer_name else recipient,
        "line1": text(payload, "address1"),
        "line2": text(payload, "address2"),
        "postal_code": text(payload, "postcode"),
        "city": text(payload, "city"),
        "country": payload["_country"],
        "phone": text(payload, "phone") or text(payload, "phone_mobile"),
    }


# The statements every imported order runs, written once (the ORM would compile them anew each
# time, for more than the database spends running them).
_BINDINGS_OF_ORDER = f"""SELECT kind, external_id, object_id, fingerprint FROM {Binding._meta.db_table}
    WHERE channel_id = %s AND ((kind = %s AND external_id = %s) OR (kind = %s AND external_id = %s)
    OR (kind = %s AND external_id IN (%s, %s)))"""  # noqa: S608
_LOCKED_BINDING = f"SELECT id FROM {Binding._meta.db_table} WHERE channel_id = %s AND kind = %s AND external_id = %s"  # noqa: S608
_RESOLVE_ISSUE = f"""UPDATE {ImportIssue._meta.db_table} SET status = %s
    WHERE channel_id = %s AND kind = %s AND external_id = %s AND status = %s"""  # noqa: S608


def _fetch(sql: str, parameters: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return cursor.fetchall()


def bindings_of(channel: ShopChannel, order: dict) -> dict:
    """The bindings of the order, its customer and its addresses, in one read:
    (kind, external id) → (LMB id, fingerprint)."""
    kinds = Binding.Kind
    found = _fetch(
        _BINDINGS_OF_ORDER,
        [
            channel.pk,
            kinds.ORDER,
            text(order, "id"),
            kinds.CUSTOMER,
            text(order, "id_customer"),
            kinds.ADDRESS,
            text(order, "id_address_invoice"),
            text(order, "id_address_delivery"),
        ],
    )
    return {(kind, external_id): (object_id, print_) for kind, external_id, object_id, print_ in found}


def _locked_order_binding(channel: ShopChannel, external_id: str) -> Binding | None:
    """The order's binding, its row locked (under the order's advisory lock: absent, it stays so)."""
    sql = _LOCKED_BINDING + (" FOR UPDATE" if connection.features.has_select_for_update else "")
    found = _fetch(sql, [channel.pk, Binding.Kind.ORDER, external_id])
    return rows.get_row(Binding, found[0][0]) if found else None


NOT_READ = object()  # the order's messages, when the caller has not read them with its page's


def fetch_related(
    channel: ShopChannel,
    client: WebserviceClient,
    order: dict,
    memo: dict,
    known: dict | None = None,
    messages=NOT_READ,
    read: dict | None = None,
) -> Fetched:
    """Read the customer and addresses the order needs and LMB does not have yet (``known``: the
    order's ``bindings_of``, when the caller read them; ``read``: those read with its page's by
    ``page_parties``), and its messages (``messages``: as read with its page's by
    ``messages_of_orders``, when they were)."""
    read = read or {}
    fetched = Fetched(memo=memo)
    customer_id = text(order, "id_customer")
    address_ids = {text(order, "id_address_invoice"), text(order, "id_address_delivery")}
    known = bindings_of(channel, order) if known is None else known
    fetched.bound = {key: object_id for key, (object_id, _print) in known.items() if key[0] != Binding.Kind.ORDER}
    if (Binding.Kind.CUSTOMER, customer_id) not in fetched.bound:
        fetched.customer = read.get(("customers", customer_id)) or client.get("customers", customer_id)
        require(fetched.customer, CUSTOMER_FIELDS, _("dans le client PrestaShop n° %(id)s") % {"id": customer_id})
    order_rows = rows_of(order)
    fetched.bound |= shop_products.bound_products(channel, map(shop_products.key_of, order_rows))
    fetched.products = shop_products.read_rows(client, order_rows, fetched.bound, memo)
    if channel.tax_rules and not all(text(row, "id_tax_rules_group") for row in rows_of(order)):
        fetched.tax_groups = tax_groups_of(client, text(order, "id"))
    fetched.cart_rules = cart_rules_of(client, order, (channel.currencies or {}).get(text(order, "id_currency"), "EUR"))
    if messages is NOT_READ:
        messages = messages_of_orders(channel, client, [text(order, "id")])[text(order, "id")]
    fetched.messages = messages
    for address_id in sorted(address_ids):
        if (Binding.Kind.ADDRESS, address_id) in fetched.bound:
            continue
        address = read.get(("addresses", address_id)) or client.get("addresses", address_id)
        require(address, ADDRESS_FIELDS, _("dans l'adresse PrestaShop n° %(id)s") % {"id": address_id})
        address["_country"] = country_of(channel, client, text(address, "id_country"))
        fetched.addresses[address_id] = address
    return fetched


MESSAGE_FIELDS = ("id_order", "message", "private", "date_add")
MESSAGES_RIGHT = "messages (GET)"  # an OPTIONAL_RIGHTS key: orders import without their messages
ORDERS_PER_MESSAGES_CALL = 100  # ids in one filter[id_order]=[a|b|…]: a URL far below 8 KB (Apache's line)
MESSAGES_PAGE_SIZE = 1000  # messages per list call: a page's hundred orders rarely have more


def messages_of_orders(channel: ShopChannel, client: WebserviceClient, order_ids: list[str]) -> dict:
    """Order id → its messages, oldest first: what the customer wrote at checkout (PrestaShop 1.6
    to 8 move the cart's message onto the order) and the shop staff's notes (``private``). One
    call for a page's orders (``filter[id_order]=[a|b|…]``), not one per order.

    A key without the right on ``messages`` (a shop upgraded without giving it) must not stop the
    orders: each id then maps to None — its order is imported and says its messages were not read
    — and the shop's page warns (``note_right``). A message without a field the import reads
    refuses the orders asked for, naming it."""
    found = {order_id: [] for order_id in order_ids}
    try:
        for start in range(0, len(order_ids), ORDERS_PER_MESSAGES_CALL):
            ids = "|".join(order_ids[start : start + ORDERS_PER_MESSAGES_CALL])
            for message in client.list(
                "messages", filters={"id_order": f"[{ids}]"}, sort="[id_ASC]", page_size=MESSAGES_PAGE_SIZE
            ):
                where = _("dans le message PrestaShop n° %(id)s") % {"id": text(message, "id") or "?"}
                require(message, MESSAGE_FIELDS, where)
                if text(message, "message") and text(message, "id_order") in found:
                    found[text(message, "id_order")].append(message)
    except AuthenticationFailed:  # the same key just read the orders: it is the right on messages it lacks
        note_right(channel, MESSAGES_RIGHT, missing=True)
        return dict.fromkeys(order_ids)
    note_right(channel, MESSAGES_RIGHT, missing=False)
    return found


def note_right(channel: ShopChannel, right: str, *, missing: bool):
    """Keep on the shop whether the key lacks this optional right (the shop's page warns while it
    does); written only when that changes."""
    rights = set(channel.missing_rights or [])
    if (right in rights) == missing:
        return
    channel.missing_rights = sorted(rights | {right} if missing else rights - {right})
    ShopChannel.objects.filter(pk=channel.pk).update(missing_rights=channel.missing_rights)
    if missing:
        logger.warning("PrestaShop %s: %s", channel, missing_right_sentence(right))


def _gift_message(order: dict) -> str:
    return text(order, "gift_message") if text(order, "gift") == "1" or text(order, "gift_message") else ""


def _messages_note(order: dict, messages: list[dict] | None) -> str:
    """What the order's note adds: the gift message (a field of the order: read whatever the key's
    rights) and the customer's messages (printed with the order, so the shop staff's private notes
    stay on the customer's timeline only), or that they could not be read."""
    parts = []
    if messages is None:
        parts.append(
            _("Messages de la commande non lus : la clé du webservice n'a pas le droit %(right)s ; lisez-les sur la boutique.")
            % {"right": MESSAGES_RIGHT}
        )
    if _gift_message(order):
        parts.append(_("Message cadeau : %(message)s") % {"message": _gift_message(order)})
    parts += [
        _("Message du client : %(message)s") % {"message": text(message, "message")}
        for message in messages or []
        if text(message, "private") != "1"
    ]
    return "\n".join(parts)


def _shop_datetime(value: str):
    """A PrestaShop date (the shop's local time, "0000-00-00 00:00:00" when none), or None."""
    try:
        return timezone.make_aware(datetime.strptime(value, "%Y-%m-%d %H:%M:%S"))
    except ValueError:
        return None


def log_messages(customer_id: int, payload: dict, messages: list[dict] | None):
    """The gift message and every message of the order on the customer's timeline (crm), each
    naming the order — nothing the shop holds about the order is dropped."""
    incoming = TimelineEntry.Direction.INCOMING
    entries = []  # (subject, text, shop date, direction)
    if _gift_message(payload):
        gift = _("Message cadeau de la commande PrestaShop %(reference)s")
        entries.append((gift, _gift_message(payload), text(payload, "date_add"), incoming))
    for message in messages or []:  # None: not read (the order's note says so)
        private = text(message, "private") == "1"
        subject = (
            _("Note interne de la boutique sur la commande PrestaShop %(reference)s")
            if private
            else _("Message du client sur la commande PrestaShop %(reference)s")
        )
        entries.append((subject, text(message, "message"), text(message, "date_add"), "" if private else incoming))
    customer = rows.get_row(ThirdParty, customer_id) if entries else None  # most orders have none: no read
    for subject, body, written, direction in entries:
        crm_services.log_interaction(
            third_party=customer,
            kind=TimelineEntry.Kind.NOTE,
            subject=subject % {"reference": text(payload, "reference")},
            body=body,
            occurred_at=_shop_datetime(written),
            direction=direction,
        )


def tax_groups_of(client: WebserviceClient, order_id: str) -> dict:
    """Order rows carry no tax rules group; their order_details (same id) do."""
    details = client.list("order_details", filters={"id_order": f"[{order_id}]"}, display="[id,id_tax_rules_group]")
    return {text(detail, "id"): text(detail, "id_tax_rules_group") for detail in details}


def cart_rules_of(client: WebserviceClient, order: dict, currency: str = "EUR") -> list[dict]:
    """The cart rules applied to the order (``order_cart_rules``: name, value tax included and
    excluded, free shipping), read only when it has discounts: orders without any never need the
    right. A key without it refuses such an order only, naming the right to add."""
    if not decimal(order, "total_discounts_tax_incl"):
        return []
    try:
        return list(client.list("order_cart_rules", filters={"id_order": f"[{text(order, 'id')}]"}))
    except AuthenticationFailed as error:
        raise ImportRefused(
            _(
                "La commande a des remises (%(amount)s) mais la clé du webservice n'a pas le droit « order_cart_rules » "
                "(GET) qui les détaille : ajoutez ce droit à la clé dans PrestaShop (Paramètres avancés > Webservice)."
            )
            % {"amount": money_fr(money.amount(decimal(order, "total_discounts_tax_incl")), currency)}
        ) from error


# --- Orders ---------------------------------------------------------------------------------------


def order_date(payload: dict) -> date | None:
    """The day the customer ordered (``date_add``, the shop's clock): the LMB order's date, the
    day of its ECB exchange rate and of the payment taken at checkout. The invoices made from it
    are dated the day they are issued (INV-05, NUM-01: the series is chronological, never
    back-dated). A null date (``0000-00-00``) is no date: today, as for any order."""
    raw = text(payload, "date_add")
    if not raw or raw.startswith("0000-00-00"):
        return None
    try:
        day = datetime.fromisoformat(raw).date()
    except ValueError as exc:
        raise ImportRefused(_("Le champ date_add vaut « %(value)s » : ce n'est pas une date.") % {"value": raw}) from exc
    return min(day, timezone.localdate())  # a shop's clock ahead of ours: no order from the future


def _currency(channel: ShopChannel, order: dict) -> str:
    """The LMB currency of the order's (through the channel's mapping). Its amounts stay the
    shop's, in that currency; the EUR figures (the VAT in euros, CUR-01, and the books) use the
    ECB rate of the order's day (sales.currency.rate_for), not the order's ``conversion_rate``:
    that one is the shop's own setting, against the shop's default currency (not always the
    euro), typed or refreshed when the shop's owner chose to — the law asks for the ECB rate of
    the day the VAT becomes chargeable (CUR-01/02), which LMB stores and prints with its date."""
    currency_id = text(order, "id_currency")
    currency = (channel.currencies or {}).get(currency_id)
    if not currency:
        raise ImportRefused(
            _("La devise PrestaShop n° %(id)s n'est associée à aucune devise LMB (réglages de la boutique %(shop)s).")
            % {"id": currency_id, "shop": channel.name}
        )
    return currency


def _row_label(row: dict) -> str:
    return text(row, "product_name") or text(row, "product_reference") or _("n° %(id)s") % {"id": text(row, "id")}


def _unknown_rate(what: str, incl: Decimal, excl: Decimal, group: str) -> ImportRefused:
    advice = (
        _("associez le groupe de taxes PrestaShop n° %(group)s à un taux de TVA LMB (réglages de la boutique)") % {"group": group}
        if group not in ("", "0")
        else _("ajoutez ce taux dans LMB (Catalogue > Taux de TVA) si la boutique l'applique à bon droit")
    )
    return ImportRefused(
        _(
            "%(what)s : ses prix (%(incl)s TTC pour %(excl)s HT) donnent un taux de TVA de %(rate)s %%, "
            "qui n'est aucun taux de TVA connu de LMB ; %(advice)s."
        )
        % {
            "what": what,
            "incl": decimal_fr(incl),
            "excl": decimal_fr(excl),
            "rate": decimal_fr(rate_between(incl, excl)),
            "advice": advice,
        }
    )


def _tax_group(row: dict, fetched: Fetched) -> str:
    """The row's tax rules group (order rows carry none: their order_details do, when read)."""
    return text(row, "id_tax_rules_group") or fetched.tax_groups.get(text(row, "id"), "")


def _mapping_refused(what: str, group: str, code: str, rate: Decimal, incl: Decimal, excl: Decimal) -> ImportRefused:
    return ImportRefused(
        _(
            "%(what)s : le groupe de taxes PrestaShop n° %(group)s est associé à %(code)s (%(rate)s %%), "
            "mais ses prix (%(incl)s TTC pour %(excl)s HT) donnent %(deduced)s %% ; corrigez l'association "
            "dans les réglages de la boutique."
        )
        % {
            "what": what,
            "group": group,
            "code": code,
            "rate": decimal_fr(rate),
            "incl": decimal_fr(incl),
            "excl": decimal_fr(excl),
            "deduced": decimal_fr(rate_between(incl, excl)),
        }
    )


def row_vat_rate(channel: ShopChannel, row: dict, fetched: Fetched) -> Decimal:
    """The rate the shop charged on a row, as its prices say (rows carry no rate): the rate of the
    LMB code its tax rules group is mapped to when the prices agree with it, else the LMB rate
    they were computed with; none: the order is refused. Whether that rate is right for the
    sale's country is ``check_vat_charged``'s question (one group gives a rate per country)."""
    incl, excl = decimal(row, "unit_price_tax_incl"), decimal(row, "unit_price_tax_excl")
    group = _tax_group(row, fetched)
    code = (channel.tax_rules or {}).get(group)
    if code and price_gap(incl, excl, _rate_of_code(code, fetched.memo)) <= PRICE_TOLERANCE:
        return _rate_of_code(code, fetched.memo)
    rate = matching_rate(incl, excl, lmb_rates(fetched.memo))
    if rate is None:
        what = _("Ligne « %(line)s »") % {"line": _row_label(row)}
        if code:
            raise _mapping_refused(what, group, code, _rate_of_code(code, fetched.memo), incl, excl)
        raise _unknown_rate(what, incl, excl, group)
    return rate


def _carrier(channel: ShopChannel, order: dict) -> str:
    """The name of the LMB carrier the order's shop carrier is mapped to ("" when unmapped)."""
    return (channel.carriers or {}).get(text(order, "id_carrier"), "")


def _shipping_line(channel: ShopChannel, order: dict, memo: dict) -> dict | None:
    """Shipping at the carrier's rate, named after the LMB carrier the shop's one is mapped to
    (then kept even when free: the order says how it ships)."""
    shipping = decimal(order, "total_shipping_tax_incl")
    carrier = _carrier(channel, order)
    if not shipping and not carrier:
        return None
    rate = decimal(order, "carrier_tax_rate")
    if rate not in lmb_rates(memo):
        raise ImportRefused(
            _("Frais de port : le taux de TVA du transporteur (carrier_tax_rate %(rate)s %%) n'est aucun taux connu de LMB.")
            % {"rate": decimal_fr(rate)}
        )
    return {
        "kind": DocumentLine.Kind.SHIPPING,
        "description": _("Frais de port — %(carrier)s") % {"carrier": carrier} if carrier else _("Frais de port"),
        "quantity": 1,
        "unit_price": shipping,
        "vat_rate": rate,
    }


# PrestaShop's rounding modes (order.round_type, WEBSERVICE.md): per item, per line, on the total.
ROUND_ITEM, ROUND_LINE, ROUND_TOTAL = "1", "2", "3"


def _row_unit_price(order: dict, row: dict) -> Decimal:
    """The row's tax-included unit price as the shop counted it: rounded to the cent first when
    it rounds per item (its line is then quantity × that price), else its 6 decimals (LMB rounds
    each line, as a shop rounding per line does; on the total, the cents left are a rounding line)."""
    price = decimal(row, "unit_price_tax_incl")
    return money.amount(price) if text(order, "round_type") == ROUND_ITEM else money.unit_price(price)


def gross_of(line: dict) -> Decimal:
    """A line's tax-included amount as LMB will compute it (sales.totals: quantity × price, to the cent)."""
    return money.amount(Decimal(line["quantity"]) * Decimal(line["unit_price"]))


def _lines(channel: ShopChannel, order: dict, fetched: Fetched) -> list[dict]:
    """The order's lines, each tagged with its ``_role`` (product, wrapping, shipping, reduction,
    rounding): the rows, the gift wrapping, the shipping, one reduction line per cart rule and VAT
    rate, and the shop's rounding cents when its rounding mode leaves some."""
    products = []
    for row in rows_of(order):
        rate = row_vat_rate(channel, row, fetched)
        products.append(
            {
                "product": shop_products.line_product(channel, row, fetched, rate),
                "description": text(row, "product_name") or text(row, "product_reference"),
                "quantity": decimal(row, "product_quantity"),
                "unit_price": _row_unit_price(order, row),
                "vat_rate": rate,
                "_row": row,
                "_tax_group": _tax_group(row, fetched),
                "_mapped_code": (channel.tax_rules or {}).get(_tax_group(row, fetched), ""),
                "_role": "product",
            }
        )
    lines = [*products, *_rounding_lines(order, products)]
    wrapping, wrapping_excl = decimal(order, "total_wrapping_tax_incl"), decimal(order, "total_wrapping_tax_excl")
    if wrapping:
        rate = matching_rate(wrapping, wrapping_excl, lmb_rates(fetched.memo))
        if rate is None:
            raise _unknown_rate(_("Emballage cadeau"), wrapping, wrapping_excl, "")
        lines.append(
            {
                "kind": DocumentLine.Kind.TEXT,
                "description": _("Emballage cadeau"),
                "quantity": 1,
                "unit_price": wrapping,
                "vat_rate": rate,
                "_role": "wrapping",
            }
        )
    shipping = _shipping_line(channel, order, fetched.memo)
    if shipping:
        shipping = {**shipping, "_role": "shipping"}
        lines.append(shipping)
    _free_lines_follow_products(lines)
    return lines + _reduction_lines(order, products, shipping, fetched.cart_rules)


def _free_lines_follow_products(lines: list[dict]):
    """A free line (a gift row, free shipping) shows no rate in its prices, and the shop's may say
    0 %: it takes the rate of the largest products instead. No amount changes, and its VAT
    category is then its products' (a taxed line at 0 %, never: EN 16931 BR-S-05)."""
    by_rate = defaultdict(lambda: ZERO)
    for line in lines:
        if line["_role"] == "product":
            by_rate[Decimal(line["vat_rate"])] += gross_of(line)
    main = max(by_rate, key=lambda rate: (by_rate[rate], rate), default=ZERO)
    for line in lines:
        if line["_role"] in ("product", "shipping") and not line["unit_price"] and not Decimal(line["vat_rate"]):
            line["vat_rate"] = main


def rounding_label() -> str:
    return _("Arrondi de la boutique")


def _rounding_lines(order: dict, products: list[dict]) -> list[dict]:
    """The cents between LMB's products (each line rounded) and the shop's total_products_wt, as
    the shop's rounding mode left them (on the total, mostly): the shop's totals are the truth
    (WEBSERVICE.md), so the difference is booked on a line of its own, at the rate of the largest
    products — up to a cent per VAT rate of the products. A bigger difference is no rounding: no
    line, and the totals check refuses the order with the difference."""
    if not products:
        return []
    by_rate = defaultdict(lambda: ZERO)
    for line in products:
        by_rate[line["vat_rate"]] += gross_of(line)
    gap = money.amount(decimal(order, "total_products_wt")) - sum(by_rate.values(), ZERO)
    if not gap or abs(gap) > Decimal("0.01") * len(by_rate):
        return []
    return [
        {
            "kind": DocumentLine.Kind.TEXT,
            "description": rounding_label(),
            "quantity": 1 if gap > 0 else -1,  # a negative quantity: a reduction line (BR-27: no negative price)
            "unit_price": abs(gap),
            "vat_rate": max(by_rate, key=lambda rate: by_rate[rate]),
            "_role": "rounding",
        }
    ]


def _reduction_lines(order: dict, products: list[dict], shipping: dict | None, cart_rules: list[dict]) -> list[dict]:
    """Each cart rule as PrestaShop applied it: a reduction line named after the rule (INV-08),
    on the shipping for its free-shipping part, the rest on the products split over their VAT
    rates in proportion to their tax-included amounts (as the shop spreads a rule over the cart),
    never on the gift wrapping (PrestaShop does not discount it). A negative quantity: the
    line lowers its rate's total (EN 16931 BT-131 may be negative, a price never, BR-27)."""
    by_rate = defaultdict(lambda: ZERO)
    for line in products:
        by_rate[line["vat_rate"]] += gross_of(line)
    shipping_left = gross_of(shipping) if shipping else ZERO
    lines = []
    for rule in cart_rules:
        name = text(rule, "name") or _("n° %(id)s") % {"id": text(rule, "id_cart_rule")}
        value = money.amount(decimal(rule, "value"))
        on_shipping = min(value, shipping_left) if text(rule, "free_shipping") == "1" else ZERO
        shipping_left -= on_shipping
        if on_shipping:
            lines.append(
                _reduction(
                    DocumentLine.Kind.SHIPPING,
                    _("Livraison offerte « %(rule)s »") % {"rule": name},
                    on_shipping,
                    shipping["vat_rate"],
                )
            )
        for rate, share in _split(value - on_shipping, by_rate):
            lines.append(_reduction(DocumentLine.Kind.TEXT, _("Remise « %(rule)s »") % {"rule": name}, share, rate))
    return lines


def _reduction(kind: str, description: str, value: Decimal, rate: Decimal) -> dict:
    return {"kind": kind, "description": description, "quantity": -1, "unit_price": value, "vat_rate": rate, "_role": "reduction"}


def _split(value: Decimal, weights: dict) -> list[tuple[Decimal, Decimal]]:
    """``value`` shared over the weights' keys in proportion (the largest weight last, taking
    the cents of the rounding): [(key, share)], shares of 0 left out."""
    total = sum(weights.values(), ZERO)
    if value <= 0 or total <= 0:
        return [(max(weights, key=weights.get), value)] if value > 0 and weights else []
    keys = sorted(weights, key=lambda key: weights[key])
    shares, given = [], ZERO
    for index, key in enumerate(keys):
        share = value - given if index == len(keys) - 1 else money.amount(value * weights[key] / total)
        given += share
        if share:
            shares.append((key, share))
    return shares


def check_totals(order: Order, payload: dict, lines=None, *, built: list[dict]):
    """The shop's totals, to the cent, or TotalsMismatch naming every difference (``lines``: the
    order's, when the caller holds them). Products count the shop's rounding line (up to a cent
    per rate, ``_rounding_lines``); discounts are the reduction lines (negative quantities)."""
    lines = documents.ordered_lines(order) if lines is None else lines
    check_vat_charged(order, payload, lines, built)
    rounding = rounding_label()
    reducing = [line for line in lines if line.quantity < 0 and line.description != rounding]
    kept = [line for line in lines if all(line is not other for other in reducing)]
    shipping = sum((line.gross_amount for line in kept if line.kind == DocumentLine.Kind.SHIPPING), ZERO)
    products = sum(
        (line.gross_amount for line in kept if line.kind in (DocumentLine.Kind.PRODUCT, DocumentLine.Kind.ECO)), ZERO
    ) + sum((line.gross_amount for line in kept if line.kind == DocumentLine.Kind.TEXT and line.parent_id is None), ZERO)
    wrapping = money.amount(decimal(payload, "total_wrapping_tax_incl"))
    products -= wrapping  # the wrapping line is a text line of its own
    discounts = (
        -sum((line.gross_amount for line in reducing), ZERO)
        + sum((line.gross_amount for line in lines), ZERO)
        - order.total_incl_tax
    )  # a document discount, if any, besides
    expected = {
        _("produits TTC"): (products, decimal(payload, "total_products_wt")),
        _("port TTC"): (shipping, decimal(payload, "total_shipping_tax_incl")),
        _("remises TTC"): (discounts, decimal(payload, "total_discounts_tax_incl")),
        _("total payé TTC"): (order.total_incl_tax, decimal(payload, "total_paid_tax_incl")),
        _("total payé (total_paid)"): (order.total_incl_tax, decimal(payload, "total_paid")),
    }
    differences = [
        _("%(what)s : LMB %(lmb)s, PrestaShop %(shop)s (écart %(gap)s)")
        % {
            "what": what,
            "lmb": money_fr(lmb, order.currency),
            "shop": money_fr(money.amount(shop), order.currency),
            "gap": money_fr(lmb - money.amount(shop), order.currency),
        }
        for what, (lmb, shop) in expected.items()
        if lmb != money.amount(shop)
    ]
    if differences:
        raise TotalsMismatch(
            _(
                "Les totaux ne correspondent pas à ceux de la boutique (au-delà d'un centime d'arrondi par taux de TVA, "
                "rien n'est ajusté) : %(list)s."
            )
            % {"list": " ; ".join(differences)}
        )


def check_vat_charged(order: Order, payload: dict, lines, built: list[dict]):
    """The shop charged VAT as LMB's treatment of the sale says, line by line, or the order is
    refused naming the line and what to fix — never an invoice that contradicts itself or the
    shop. One tax rules group gives a rate per country (FR 20 %, CH 0 %, DE 19 %): the rate a
    row's prices show is read against the sale's treatment, the one its invoices will carry
    (fr-rules VAT-10 to VAT-15):

    - exempt lines (export G, intra-EU K, franchise E…) must be charged 0 %;
    - a taxed line (category S) must carry a rate above 0 (EN 16931 BR-S-05): France, and an EU
      consumer under the OSS threshold, a French rate — the one its group is mapped to, when it
      is; an EU consumer under the OSS, a rate of the state of delivery — for a mapped group, that
      state's rate of the same kind (``sales.vat.destination_rate``).

    ``lines``: the order's lines (LMB's VAT); ``built``: the same lines as the importer built them
    from the shop (the rate charged, the row and its group). Reductions and the rounding line take
    their products' rates: they are not checked again."""
    if order.vat_treatment == VatTreatment.EU_B2B:
        taxed = [row for row in rows_of(payload) if decimal(row, "unit_price_tax_incl") > decimal(row, "unit_price_tax_excl")]
        if taxed:
            raise ImportRefused(
                _(
                    "%(line)s : la boutique a facturé la TVA à %(name)s, entreprise de l'UE (n° de TVA %(vat)s) "
                    "livrée hors de France : c'est une livraison intracommunautaire exonérée. Exonérez-la sur la "
                    "boutique, ou retirez le numéro de TVA de son adresse si elle achète comme particulier."
                )
                % {"line": _row_label(taxed[0]), "name": order.customer_name, "vat": order.customer_vat_number}
            )
    ours = [line for line in lines if line.kind != DocumentLine.Kind.ECO]  # an eco-participation follows its product
    for line, shop in zip(ours, built, strict=True):
        if shop["_role"] in ("reduction", "rounding"):
            continue
        charged = Decimal(shop["vat_rate"])
        if line.vat_category != VatCategory.STANDARD:
            if charged:
                raise _charged_on_exempt(order, line, charged)
        elif not charged:
            raise _untaxed(order, line, shop)
        elif charged not in _rates_expected(order, shop):
            raise _wrong_rate(order, line, shop, charged)


def _rates_in_force() -> dict[str, set]:
    """Territory → the VAT rates LMB knows there today; France's (FR, FR-COR, FR-DOM) together."""

    def read():
        today = timezone.localdate()
        current = VatRate.objects.filter(valid_from__lte=today).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        found = defaultdict(set)
        for territory, rate in current.values_list("territory", "rate"):
            found["FR" if territory.startswith("FR") else territory].add(rate)
        return dict(found)

    return run_cache.remembered(("prestashop.rates_in_force", timezone.localdate()), read)


def _mapped_rate(shop: dict) -> VatRate | None:
    code = shop.get("_mapped_code")
    return _vat_rate_of_code(code, run_cache.remembered(("prestashop.vat_codes",), dict)) if code else None


def _rates_expected(order: Order, shop: dict) -> set:
    """The rates a taxed line of this sale may carry (see ``check_vat_charged``)."""
    mapped = _mapped_rate(shop)
    if order.vat_treatment == VatTreatment.EU_OSS:
        if mapped is not None:
            return {destination_rate(order.destination_country, mapped.category, timezone.localdate())}
        return _rates_in_force().get(order.destination_country, set())
    return {mapped.rate} if mapped is not None else _rates_in_force().get("FR", set())


def _charged_on_exempt(order: Order, line, charged: Decimal) -> ImportRefused:
    values = {"line": line.description, "rate": decimal_fr(charged)}
    if order.vat_treatment == VatTreatment.FRANCHISE:
        return ImportRefused(
            _(
                "« %(line)s » : la boutique a facturé %(rate)s %% de TVA, mais l'entreprise relève de la franchise en "
                "base (TVA non applicable, art. 293 B du CGI) : réglez la boutique sans taxes, ou décochez la franchise "
                "dans les paramètres de la société si elle ne s'applique plus."
            )
            % values
        )
    return ImportRefused(
        _(
            "« %(line)s » : la boutique a facturé %(rate)s %% de TVA, mais la vente (%(treatment)s, livrée en "
            "%(country)s) en est exonérée dans LMB (%(exemption)s) : corrigez sur la boutique les règles de taxes "
            "de ce pays pour qu'elles n'appliquent pas de TVA (Localisation > Taxes > Règles de taxes)."
        )
        % {
            **values,
            "treatment": treatment_label(order.vat_treatment),
            "country": order.destination_country,
            "exemption": vat_label(line.vat_category, ZERO, line.vat_exemption_code),
        }
    )


def _group_words(shop: dict) -> str:
    group = shop.get("_tax_group", "")
    if group == "0":
        return _(" (le produit n'a aucun groupe de règles de taxes)")
    return _(" (groupe de règles de taxes n° %(group)s)") % {"group": group} if group else ""


def _untaxed(order: Order, line, shop: dict) -> ImportRefused:
    """A taxed line the shop charged 0 %: no such rate in France (BR-S-05 on the invoice)."""
    values = {"line": line.description, "treatment": treatment_label(order.vat_treatment), "group": _group_words(shop)}
    if order.vat_treatment == VatTreatment.FRANCE:
        return ImportRefused(
            _(
                "« %(line)s » : la boutique n'a facturé aucune TVA (0 %%) sur cette vente en France, qui y est "
                "soumise : il n'y a pas de taux de TVA à 0 %% en France hors franchise en base. Corrigez sur la "
                "boutique les règles de taxes de ce produit%(group)s pour la France (Localisation > Taxes > "
                "Règles de taxes), puis relancez l'import ; si l'entreprise relève de la franchise en base, "
                "cochez-la dans les paramètres de la société."
            )
            % values
        )
    if order.vat_treatment in (VatTreatment.EU_B2C, VatTreatment.EU_OSS):
        return ImportRefused(
            _(
                "« %(line)s » : la boutique n'a pas facturé de TVA, mais la vente (%(treatment)s) y est soumise. "
                "Une vente exonérée à une entreprise de l'UE demande son numéro de TVA intracommunautaire sur "
                "l'adresse de facturation de la commande (ou sur le client LMB)."
            )
            % values
        )
    # Export, overseas: goods leave exempt, but a line with no LMB product is a service, and a
    # service to a consumer keeps French VAT (sales.vat.line_vat).
    return ImportRefused(
        _(
            "« %(line)s » : la boutique n'a pas facturé de TVA (vente %(treatment)s), mais cette ligne n'est "
            "liée à aucun produit de LMB : comme prestation à un particulier, elle reste soumise à la TVA "
            "française. Créez le produit dans LMB (même référence ou EAN-13) pour qu'il soit exporté en "
            "exonération, puis relancez l'import."
        )
        % values
    )


def _wrong_rate(order: Order, line, shop: dict, charged: Decimal) -> ImportRefused:
    """A taxed line at a rate the sale's treatment does not give."""
    mapped, expected = _mapped_rate(shop), _rates_expected(order, shop)
    row = shop.get("_row")
    if mapped is not None and order.vat_treatment not in (VatTreatment.EU_OSS, VatTreatment.EU_B2C):
        incl, excl = decimal(row, "unit_price_tax_incl"), decimal(row, "unit_price_tax_excl")
        return _mapping_refused(
            _("Ligne « %(line)s »") % {"line": line.description}, shop["_tax_group"], mapped.code, mapped.rate, incl, excl
        )
    values = {
        "line": line.description,
        "rate": decimal_fr(charged),
        "treatment": treatment_label(order.vat_treatment),
        "country": order.destination_country,
        "expected": ", ".join(f"{decimal_fr(rate)} %" for rate in sorted(expected)) or _("aucun taux connu de LMB"),
    }
    if order.vat_treatment == VatTreatment.EU_OSS:
        return ImportRefused(
            _(
                "« %(line)s » : la boutique a facturé %(rate)s %% de TVA, mais la vente (%(treatment)s) se taxe au "
                "taux de l'État de livraison, %(country)s : %(expected)s. Corrigez sur la boutique les règles de "
                "taxes de ce pays, ou les taux de TVA de %(country)s dans LMB (Catalogue > Taux de TVA)."
            )
            % values
        )
    advice = (
        _(
            " L'entreprise n'est pas inscrite au guichet unique OSS et reste sous le seuil des ventes à distance : "
            "si elle y est inscrite, cochez-le dans les paramètres de la société."
        )
        if order.vat_treatment == VatTreatment.EU_B2C
        else ""
    )
    return ImportRefused(
        _(
            "« %(line)s » : la boutique a facturé %(rate)s %% de TVA, mais la vente (%(treatment)s) se taxe à un "
            "taux français (%(expected)s) : corrigez les règles de taxes de la boutique pour ce pays.%(advice)s"
        )
        % {**values, "advice": advice}
    )


def _payment_method(channel: ShopChannel, module: str) -> str:
    mapping = {**DEFAULT_PAYMENT_METHODS, **(channel.payment_methods or {})}
    return mapping.get(module, PaymentMethod.CARD)


def _order_terms(channel: ShopChannel, payload: dict, fetched: Fetched) -> tuple[dict, list[dict]]:
    """What ``create_order`` is given for the shop's order (its customer and addresses bound,
    created when new), and the lines as built from the shop's rows (with ``_row``)."""
    invoice_id, delivery_id = text(payload, "id_address_invoice"), text(payload, "id_address_delivery")
    customer = _customer(channel, text(payload, "id_customer"), fetched.customer, fetched, fetched.addresses.get(invoice_id))
    billing = _address(
        channel, customer, invoice_id, fetched.addresses.get(invoice_id), Address.Kind.BILLING, fetched.bound, fetched.new
    )
    if isinstance(billing, int):
        billing = fetched.row(Address, billing)
    delivery = _address(
        channel,
        customer,
        delivery_id,
        fetched.addresses.get(delivery_id),
        Address.Kind.BILLING if delivery_id == invoice_id else Address.Kind.DELIVERY,
        fetched.bound,
        fetched.new,
    )
    if isinstance(delivery, int):
        delivery = billing if delivery == billing.pk else fetched.row(Address, delivery)
    lines = _lines(channel, payload, fetched)
    reference = text(payload, "reference")
    terms = {
        "customer": customer,
        "channel": channel.sales_channel,
        "warehouse": channel.warehouse,
        "billing_address": billing,  # the order's own, not the customer's default one
        "delivery_address": delivery,
        "currency": _currency(channel, payload),
        "prices_include_tax": True,
        "customer_reference": reference,
        "carrier": _carrier(channel, payload),
        "order_date": order_date(payload),
        "note": "\n".join(
            part
            for part in (
                _("Commande PrestaShop %(shop)s n° %(id)s (%(reference)s) du %(date)s, paiement : %(payment)s.")
                % {
                    "shop": channel.name,
                    "id": text(payload, "id"),
                    "reference": reference,
                    "date": text(payload, "date_add"),
                    "payment": text(payload, "payment"),
                },
                _messages_note(payload, fetched.messages),
            )
            if part
        ),
        "lines": [{key: value for key, value in line.items() if not key.startswith("_")} for line in lines],
    }
    return terms, lines


def _deposit_terms(channel: ShopChannel, payload: dict, order: Order) -> dict | None:
    """A paid web order is a deposit on the order (``receive_deposit``'s terms), up to its total."""
    if text(payload, "current_state") not in (channel.paid_states or []):
        return None
    paid = min(money.amount(decimal(payload, "total_paid_real")), order.total_incl_tax)
    if paid <= 0:
        return None
    return {
        "amount": paid,
        "payment_date": order_date(payload),  # paid at checkout
        "method": _payment_method(channel, text(payload, "module")),
        "reference": _("PrestaShop %(reference)s") % {"reference": text(payload, "reference")},
    }


def other_shop(channel: ShopChannel, payload: dict) -> str:
    """Why the order is not this channel's ("" when it is): on a multistore installation, a channel
    that targets one ``id_shop`` takes that shop's orders only. Such an order is skipped with this
    reason (kept on the webhook event, counted by the sync run), not put in the error queue: it is
    not faulty, it belongs to the channel of its own shop, and no retry could ever import it here.
    Without ``id_shop`` in the payload the order cannot be placed: refused naming the field."""
    if not channel.id_shop:
        return ""
    require(payload, ("id_shop",), _("dans la commande PrestaShop (la boutique vise un id_shop)"))
    if text(payload, "id_shop") == str(channel.id_shop):
        return ""
    return _(
        "Commande de la boutique id_shop %(other)s de l'installation multiboutique, "
        "pas de %(shop)s (id_shop %(ours)s) : non importée ici."
    ) % {
        "other": text(payload, "id_shop"),
        "shop": channel.name,
        "ours": channel.id_shop,
    }


def _is_cancelled(channel: ShopChannel, payload: dict) -> bool:
    state = text(payload, "current_state")
    return bool(state) and state == (channel.states or {}).get("cancelled")


def _create_order(channel: ShopChannel, payload: dict, fetched: Fetched) -> Order:
    terms, lines = _order_terms(channel, payload, fetched)
    order = sales_services.create_order(**terms)
    check_totals(order, payload, built=lines)
    log_messages(order.customer_id, payload, fetched.messages)
    shop_products.bind(channel, lines, fetched.bound)
    order = sales_services.confirm_order(order)
    deposit = _deposit_terms(channel, payload, order)
    if deposit:
        sales_services.receive_deposit(order, **deposit)
    elif _is_cancelled(channel, payload):
        order = sales_services.cancel_order(order, reason=_("Annulée sur la boutique"))
    return order


def _resolve_issue(channel, external_id):
    with connection.cursor() as cursor:
        cursor.execute(
            _RESOLVE_ISSUE,
            [ImportIssue.Status.RESOLVED, channel.pk, Binding.Kind.ORDER, str(external_id), ImportIssue.Status.OPEN],
        )


def follow_shop_state(channel: ShopChannel, binding: Binding, payload: dict):
    """An order cancelled on the shop after its import is cancelled in LMB, if nothing of it was
    shipped; one with a deposit needs a credit note first (the refusal lands in the error queue
    and the next read tries again). Other state changes are LMB's own to make."""
    cancelled = (channel.states or {}).get("cancelled")
    if not cancelled or text(payload, "current_state") != cancelled:
        return
    order = Order.objects.get(pk=binding.object_id)
    if order.status in (Order.Status.DRAFT, Order.Status.CONFIRMED):
        sales_services.cancel_order(order, reason=_("Annulée sur la boutique PrestaShop %(shop)s") % {"shop": channel.name})


def import_order(
    *,
    channel: ShopChannel,
    client: WebserviceClient,
    external_id=None,
    payload: dict | None = None,
    memo: dict | None = None,
    messages=NOT_READ,
    read: dict | None = None,
) -> Outcome:
    """Import one shop order (read by id, or given as read from a list page with its messages and
    the customers and addresses read for the page, ``read``), once.

    Already bound and unchanged: nothing happens. Already bound but changed on the shop: the
    binding notes the new date_upd (LMB's order goes on through its own documents). Refused
    (totals, currency, bad address…): nothing is kept but an open entry of the error queue."""
    if payload is None:
        payload = client.get("orders", external_id)
    memo = {} if memo is None else memo
    external_id = text(payload, "id")
    print_ = fingerprint(without_secrets(payload))
    known = bindings_of(channel, payload)
    bound_order = known.get((Binding.Kind.ORDER, external_id))
    if bound_order is not None and bound_order[1] == print_:
        return Outcome(external_id, "unchanged", bound_order[0])
    try:
        check_order_fields(payload)
        skipped = other_shop(channel, payload)
        if skipped:
            return Outcome(external_id, "skipped", error=skipped)
        fetched = fetch_related(channel, client, payload, memo, known, messages, read) if bound_order is None else Fetched()
        # One transaction undone whole on any error: the services inside need no savepoints,
        # and the company and legal mentions are read once for the caller's run.
        with run_cache.kept_in(memo), transactions.all_or_nothing():
            _lock(channel, Binding.Kind.ORDER, external_id)
            binding = _locked_order_binding(channel, external_id)
            if binding is not None:
                if binding.fingerprint == print_:
                    return Outcome(external_id, "unchanged", binding.object_id)
                follow_shop_state(channel, binding, payload)
                binding.fingerprint, binding.external_updated_at = print_, text(payload, "date_upd")
                binding.save(update_fields=["fingerprint", "external_updated_at"])
                _resolve_issue(channel, external_id)
                return Outcome(external_id, "updated", binding.object_id)
            order = _create_order(channel, payload, fetched)
            _bind(
                channel,
                Binding.Kind.ORDER,
                external_id,
                order.pk,
                fingerprint=print_,
                external_updated_at=text(payload, "date_upd"),
            )
            _resolve_issue(channel, external_id)
        return Outcome(external_id, "created", order.pk)
    except IntegrityError as error:
        # The unique binding refused a second copy made behind the lock's back: the order is there.
        existing = bound_id(channel, Binding.Kind.ORDER, external_id)
        if existing:
            return Outcome(external_id, "unchanged", existing)
        message = _error_message(error)
        record_issue(channel=channel, external_id=external_id, payload=payload, error=message)
        return Outcome(external_id, "failed", error=message)
    except (DomainError, WebserviceError) as error:
        message = _error_message(error)
        record_issue(channel=channel, external_id=external_id, payload=payload, error=message)
        return Outcome(external_id, "failed", error=message)


# --- A page of orders at once ----------------------------------------------------------------------


@dataclass
class _Prepared:
    """A new shop order of a page, built in memory by the sales services, waiting to be written."""

    index: int  # its place in the page
    payload: dict
    print_: str
    order: sales_services.NewOrder
    lines: list[dict]  # as built from the shop's rows (for the product bindings)
    messages: list[dict]  # the order's messages, for the customer's timeline

    @property
    def external_id(self) -> str:
        return text(self.payload, "id")


def import_page(
    *, channel: ShopChannel, client: WebserviceClient, payloads: list[dict], memo: dict | None = None
) -> list[Outcome]:
    """``import_order`` for each order of a list page, in the page's order, with the same outcomes
    and the same rows written — the page's new orders in one transaction, a few statements for the
    whole page (sales.services.bulk_orders), instead of one transaction and some thirty statements
    each. The customers new to LMB that they bring (a first sync's, mostly) are created with them,
    with their addresses and bindings (crm.services.save_third_parties, ``_NewParties``).

    Whatever that path does not take — an order bound already, a new address of a known customer,
    a guest merged by e-mail, an order cancelled on the shop, an order refused (totals, currency…),
    a page whose write fails — goes through ``import_order``, which records refusals in the error
    queue as always."""
    memo = {} if memo is None else memo
    outcomes: dict[int, Outcome] = {}
    page_rows = {}  # the customers and addresses read for the page's orders
    parties = _NewParties()  # the new customers of the waiting orders

    known = page_bindings(channel, payloads)
    messages = _page_messages(channel, client, payloads, known)
    read = page_parties(channel, client, payloads, known)
    parties.look_up_emails(channel, [record for (resource, _id), record in read.items() if resource == "customers"])

    def one_by_one(index):
        order_id = text(payloads[index], "id")
        return import_order(
            channel=channel,
            client=client,
            payload=payloads[index],
            memo=memo,
            messages=messages.get(order_id, NOT_READ),
            read=read,
        )

    waiting: list[_Prepared] = []  # prepared, written together when the page ends or an order must go alone

    def write_waiting():
        for index, outcome in _write_page(channel, waiting, parties, memo).items():
            outcomes[index] = outcome or one_by_one(index)
        if parties:  # bound now (by the page, else one by one): the page's later orders find them known
            known.update(parties.bound if parties.bound is not None else page_bindings(channel, payloads))
        waiting.clear()
        parties.clear()

    for index, payload in enumerate(payloads):
        skipped = _skipped_quietly(channel, payload)
        if skipped:
            outcomes[index] = Outcome(text(payload, "id"), "skipped", error=skipped)
            continue
        bound = known.get((Binding.Kind.ORDER, text(payload, "id")))
        if bound is not None and bound[1] == fingerprint(without_secrets(payload)):
            outcomes[index] = Outcome(text(payload, "id"), "unchanged", bound[0])
            continue
        missing = _party_keys(payload) - known.keys()
        if bound is None and not _is_cancelled(channel, payload):
            try:
                waiting.append(_prepare(channel, client, index, payload, known, memo, page_rows, messages, parties, read))
                continue
            except (DomainError, WebserviceError, GoesAlone):
                pass  # refused again one by one below (and kept in the error queue there), or imported alone
        write_waiting()  # the orders above first: LMB numbers them in the page's order
        outcomes[index] = one_by_one(index)
        if missing:  # the customer or addresses it brought serve the rest of the page
            known.update(page_bindings(channel, payloads[index + 1 :]))
    write_waiting()
    return [outcomes[index] for index in range(len(payloads))]


def _page_messages(channel: ShopChannel, client: WebserviceClient, payloads: list[dict], known: dict) -> dict:
    """The messages of the page's orders to create, in one call (``messages_of_orders``). Read
    alone, each order's refusal would name the faulty message: when this read fails, {} leaves
    each order to read its own (``NOT_READ``)."""
    new_ids = [
        order_id
        for order_id, payload in ((text(payload, "id"), payload) for payload in payloads)
        if order_id and (Binding.Kind.ORDER, order_id) not in known and not _skipped_quietly(channel, payload)
    ]
    if not new_ids:
        return {}
    try:
        return messages_of_orders(channel, client, new_ids)
    except (DomainError, WebserviceError) as error:
        logger.warning("PrestaShop %s: the messages of a page read order by order instead (%s)", channel, error)
        return {}


IDS_PER_CALL = 100  # ids in one filter[id]=[a|b|…]: a URL far below 8 KB (Apache's line)


def page_parties(channel: ShopChannel, client: WebserviceClient, payloads: list[dict], known: dict) -> dict:
    """The customers and addresses that the page's new orders need and LMB does not have — a
    first sync's buyers — read in one call per resource (``filter[id]=[a|b|…]``) instead of one
    call per order: (resource, id) → record. When such a read fails, {} leaves each order to read
    its own (and be refused naming what fails)."""
    wanted = {"customers": set(), "addresses": set()}
    for payload in payloads:
        if (Binding.Kind.ORDER, text(payload, "id")) in known or _skipped_quietly(channel, payload):
            continue
        for kind, external_id in _party_keys(payload) - known.keys():
            if external_id.isdigit():  # anything else is refused when its order reads it
                wanted["customers" if kind == Binding.Kind.CUSTOMER else "addresses"].add(external_id)
    found = {}
    try:
        for resource, ids in wanted.items():
            ids = sorted(ids, key=int)
            for start in range(0, len(ids), IDS_PER_CALL):
                chunk = "|".join(ids[start : start + IDS_PER_CALL])
                for record in client.list(resource, filters={"id": f"[{chunk}]"}, page_size=IDS_PER_CALL):
                    found[resource, text(record, "id")] = record
    except (DomainError, WebserviceError) as error:
        logger.warning("PrestaShop %s: the customers of a page read order by order instead (%s)", channel, error)
        return {}
    return found


def _skipped_quietly(channel: ShopChannel, payload: dict) -> str:
    """``other_shop``'s reason; an order it cannot place is left to ``import_order``, which refuses it."""
    try:
        return other_shop(channel, payload)
    except ImportRefused:
        return ""


def page_bindings(channel: ShopChannel, payloads: list[dict]) -> dict:
    """``bindings_of`` for every order of a page, in one read."""
    wanted = {key for payload in payloads for key in {(Binding.Kind.ORDER, text(payload, "id")), *_party_keys(payload)}}
    found = Binding.objects.filter(
        channel=channel, kind__in={kind for kind, _id in wanted}, external_id__in={ext for _k, ext in wanted}
    )
    return {
        (kind, external_id): (object_id, print_)
        for kind, external_id, object_id, print_ in found.values_list("kind", "external_id", "object_id", "fingerprint")
        if (kind, external_id) in wanted
    }


def _party_keys(payload: dict) -> set:
    """The binding keys of the order's customer and addresses."""
    return {
        (Binding.Kind.CUSTOMER, text(payload, "id_customer")),
        (Binding.Kind.ADDRESS, text(payload, "id_address_invoice")),
        (Binding.Kind.ADDRESS, text(payload, "id_address_delivery")),
    }


def _prepare(
    channel,
    client,
    index: int,
    payload: dict,
    known: dict,
    memo: dict,
    page_rows: dict,
    messages: dict,
    parties: "_NewParties",
    read: dict,
) -> _Prepared:
    """The order built and checked against the shop's totals, in memory (nothing written), with
    the new customer and addresses it brings (added to ``parties`` once it is ready)."""
    check_order_fields(payload)
    party = {key: known[key] for key in _party_keys(payload) if key in known}
    fetched = fetch_related(channel, client, payload, memo, party, messages.get(text(payload, "id"), NOT_READ), read)
    fetched.rows = page_rows
    brought = parties.brought_by(channel, payload, fetched)
    fetched.new = {**parties.objects, **brought.objects}
    fetched.may_create = False
    with run_cache.kept_in(memo):
        terms, lines = _order_terms(channel, payload, fetched)
        new = sales_services.prepare_order(**terms)
        check_totals(new.order, payload, new.lines, built=lines)
        deposit = _deposit_terms(channel, payload, new.order)
        if deposit:
            sales_services.add_deposit(new, **deposit)
    parties.add(brought)
    return _Prepared(index, payload, fingerprint(without_secrets(payload)), new, lines, fetched.messages)


class GoesAlone(Exception):  # noqa: N818 (not an error: a way out of the page's bulk path)
    """An order the page's bulk path does not take: ``import_order`` imports it on its own."""


class _NewParties:
    """The customers new to LMB that a page's waiting orders bring, with their addresses, built in
    memory by the crm services (``prepare_third_parties``) the way ``import_order`` would create
    them, and written with those orders (``write``) — in the page's order, so that their codes and
    ids are those the orders imported one by one would give them.

    Taken: a new customer whose order brings all its addresses (new too), and its later orders
    on those addresses. Left to ``import_order``: a known customer's new address, a new customer
    on an address LMB knows, or one whose e-mail is a customer's already (a guest merged)."""

    def __init__(self):
        self.customers = []  # [(shop customer id, crm NewThirdParty, shop customer)], in the page's order
        self.addresses = []  # [(shop address id, Address, shop address)]
        self.objects = {}  # (kind, shop id) → the ThirdParty or Address built
        self.emails = set()  # of the customers built (when the shop merges its guests by e-mail)
        # E-mails looked up among the shop's customers in LMB (for the page: kept by ``clear``),
        # and those found there (a guest of one of them is merged into it: import_order does it).
        self.emails_looked_up, self.emails_bound = set(), set()
        self.bound = None  # the bindings made once the page's write is done

    def __bool__(self):
        return bool(self.customers)

    def clear(self):
        """Forget the customers built (written now, or imported one by one): their e-mails are bound."""
        self.customers, self.addresses, self.objects, self.bound = [], [], {}, None
        self.emails_bound |= self.emails
        self.emails = set()

    def look_up_emails(self, channel: ShopChannel, customers: list[dict]):
        """Which of these shop customers' e-mails are LMB customers' of this shop, in one read."""
        emails = {_email(customer) for customer in customers} - {""} - self.emails_looked_up
        if not channel.merge_customers_by_email or not emails:
            return
        found = Binding.objects.filter(channel=channel, kind=Binding.Kind.CUSTOMER, email__in=emails)
        self.emails_bound |= set(found.values_list("email", flat=True))
        self.emails_looked_up |= emails

    def merges(self, channel: ShopChannel, email: str) -> bool:
        """Whether a new shop customer of this e-mail is an LMB customer already (a guest merged)."""
        if not channel.merge_customers_by_email or not email:
            return False
        self.look_up_emails(channel, [{"email": email}])
        return email in self.emails or email in self.emails_bound

    def brought_by(self, channel: ShopChannel, payload: dict, fetched: Fetched) -> "_NewParties":
        """The new customer and addresses the order brings (none: an empty one), or GoesAlone."""
        brought = _NewParties()
        unknown = {key for key in _party_keys(payload) if key not in fetched.bound and key not in self.objects}
        if not unknown:
            return brought
        customer_id = text(payload, "id_customer")
        if unknown != _party_keys(payload):  # not a new customer with all its addresses new
            raise GoesAlone
        email = _email(fetched.customer)
        if self.merges(channel, email):
            raise GoesAlone
        invoice_id, delivery_id = text(payload, "id_address_invoice"), text(payload, "id_address_delivery")
        billing = fetched.addresses[invoice_id]
        [new] = crm_services.prepare_third_parties([_customer_fields(channel, fetched.customer, billing)])
        kinds = {invoice_id: Address.Kind.BILLING, delivery_id: Address.Kind.DELIVERY}  # as import_order, billing first
        if delivery_id == invoice_id:
            kinds = {invoice_id: Address.Kind.BILLING}
        new.addresses = crm_services.prepare_addresses(
            new.third_party,
            [_address_fields(fetched.addresses[address_id], kind, new.third_party.name) for address_id, kind in kinds.items()],
        )
        brought.customers.append((customer_id, new, fetched.customer))
        brought.objects[Binding.Kind.CUSTOMER, customer_id] = new.third_party
        for address_id, address in zip(kinds, new.addresses, strict=True):
            brought.addresses.append((address_id, address, fetched.addresses[address_id]))
            brought.objects[Binding.Kind.ADDRESS, address_id] = address
        if channel.merge_customers_by_email and email:
            brought.emails.add(email)
        return brought

    def add(self, brought: "_NewParties"):
        self.customers += brought.customers
        self.addresses += brought.addresses
        self.objects |= brought.objects
        self.emails |= brought.emails

    def write(self, channel: ShopChannel) -> dict:
        """Create the customers, their addresses and bindings, under the locks ``import_order``
        takes for them (customers, e-mails, addresses: the same order, each level sorted); one
        that a webhook created meanwhile raises PartiesTaken (the page is then imported one by one).
        Returns their bindings as ``page_bindings`` gives them."""
        if not self:
            return {}
        customer_ids = [customer_id for customer_id, _new, _payload in self.customers]
        address_ids = [address_id for address_id, _address, _payload in self.addresses]
        _lock_all(channel, Binding.Kind.CUSTOMER, customer_ids)
        _lock_all(channel, "customer-email", sorted(self.emails))
        _lock_all(channel, Binding.Kind.ADDRESS, address_ids)
        taken = Q(kind=Binding.Kind.CUSTOMER, external_id__in=customer_ids) | Q(
            kind=Binding.Kind.ADDRESS, external_id__in=address_ids
        )
        if self.emails:
            taken |= Q(kind=Binding.Kind.CUSTOMER, email__in=self.emails)
        if Binding.objects.filter(taken, channel=channel).exists():
            raise PartiesTaken
        crm_services.save_third_parties([new for _id, new, _payload in self.customers])
        made = Binding.objects.bulk_create(
            [
                Binding(
                    channel=channel,
                    kind=Binding.Kind.CUSTOMER,
                    external_id=customer_id,
                    object_id=new.third_party.pk,
                    **_customer_binding(payload),
                )
                for customer_id, new, payload in self.customers
            ]
            + [
                Binding(
                    channel=channel,
                    kind=Binding.Kind.ADDRESS,
                    external_id=address_id,
                    object_id=address.pk,
                    fingerprint=fingerprint(payload),
                )
                for address_id, address, payload in self.addresses
            ]
        )
        return {(binding.kind, binding.external_id): (binding.object_id, binding.fingerprint) for binding in made}


class PartiesTaken(Exception):  # noqa: N818
    """A customer or address of the page was created by another import meanwhile."""


def _lock_all(channel: ShopChannel, kind: str, external_ids: list[str]):
    """``_lock`` for each of the ids, in one statement and in the order of their keys (every
    importer takes them so: no deadlock between two pages)."""
    if connection.vendor != "postgresql" or not external_ids:
        return
    keys = sorted({_lock_key(channel, kind, external_id) for external_id in external_ids})
    _fetch("SELECT pg_advisory_xact_lock(key) FROM unnest(%s::bigint[]) AS key", [keys])


def _write_page(channel: ShopChannel, prepared: list[_Prepared], parties: _NewParties, memo: dict) -> dict[int, Outcome | None]:
    """Write the prepared orders in one transaction, under the locks of their keys, after the new
    customers they bring; None for an order to import on its own (bound meanwhile by a webhook, or
    the page's write failed)."""
    if not prepared:
        return {}
    try:
        with run_cache.kept_in(memo), transactions.all_or_nothing():
            taken = _lock_orders(channel, [item.external_id for item in prepared])
            todo = [item for item in prepared if item.external_id not in taken]
            made = parties.write(channel)
            if todo:
                sales_services.save_confirmed_orders([item.order for item in todo])
                for item in todo:
                    log_messages(item.order.order.customer_id, item.payload, item.messages)
                shop_products.bind(channel, [line for item in todo for line in item.lines])
                Binding.objects.bulk_create(
                    [
                        Binding(
                            channel=channel,
                            kind=Binding.Kind.ORDER,
                            external_id=item.external_id,
                            object_id=item.order.order.pk,
                            fingerprint=item.print_,
                            external_updated_at=text(item.payload, "date_upd"),
                        )
                        for item in todo
                    ]
                )
                ImportIssue.objects.filter(
                    channel=channel,
                    kind=Binding.Kind.ORDER,
                    external_id__in=[item.external_id for item in todo],
                    status=ImportIssue.Status.OPEN,
                ).update(status=ImportIssue.Status.RESOLVED)
    except (DatabaseError, DomainError, PartiesTaken) as error:  # a deadlock, a unique key taken behind the locks' back…
        logger.warning("PrestaShop %s: a page of %s orders written one by one instead (%s)", channel, len(prepared), error)
        return {item.index: None for item in prepared}
    parties.bound = made  # written: the page's later orders know them
    written = {item.index for item in todo}
    return {
        item.index: Outcome(item.external_id, "created", item.order.order.pk) if item.index in written else None
        for item in prepared
    }


def _lock_orders(channel: ShopChannel, external_ids: list[str]) -> set[str]:
    """Take the import locks of the orders (in one order every importer of a page follows: no
    deadlock), then return those bound already."""
    _lock_all(channel, Binding.Kind.ORDER, external_ids)
    bound = Binding.objects.select_for_update().filter(channel=channel, kind=Binding.Kind.ORDER, external_id__in=external_ids)
    return set(bound.values_list("external_id", flat=True))


def _error_message(error) -> str:
    if isinstance(error, DomainError) and hasattr(error, "errors"):
        return " ; ".join(f"{name} : {' '.join(messages)}" for name, messages in error.errors.items())
    return str(getattr(error, "message", error))


def record_issue(
    *, channel: ShopChannel, external_id: str, payload: dict, error: str, kind: str = Binding.Kind.ORDER
) -> ImportIssue:
    """Keep what could not be imported, with the reason; seen again, it counts one more attempt
    (and reopens if it had been resolved)."""
    # The error queue keeps any order, a faulty one above all: its reference is only a label
    # there (the whole payload is kept beside it), cut to the column.
    reference = text(payload, "reference")[:40]
    with transaction.atomic():
        issue, created = ImportIssue.objects.select_for_update().get_or_create(
            channel=channel,
            kind=kind,
            external_id=str(external_id),
            defaults={"payload": without_secrets(payload), "error": error, "reference": reference},
        )
        if not created and issue.status != ImportIssue.Status.IGNORED:
            issue.payload, issue.error, issue.status = without_secrets(payload), error, ImportIssue.Status.OPEN
            issue.attempts += 1
            issue.save(update_fields=["payload", "error", "status", "attempts", "last_seen_at"])
    logger.warning("PrestaShop %s order %s not imported: %s", channel, external_id, error)
    return issue
