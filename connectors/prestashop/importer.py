"""Import PrestaShop customers, addresses and orders into LMB through the crm and sales services.

An order is imported once: under a lock on its (channel, id) key — a PostgreSQL advisory lock,
backed by the binding's unique constraint — the binding is looked up, and the order created only
when absent. Its lines are entered tax-included as the shop sold them, each at an LMB VAT rate
(the one its tax rules group is mapped to, else the one its prices were computed with: a rate LMB
does not know refuses the order); the shipping line carries the mapped carrier's name, and the
order the shop's own invoice and delivery addresses. The LMB totals must then equal the shop's
(products, shipping, discounts, total paid) to the cent, or nothing is kept and the order goes to
the error queue with the differences. A paid web order is a deposit on the
order (YE-04): ``receive_deposit`` issues the deposit invoice that the final invoice deducts.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import VatRate
from crm import services as crm_services
from crm.models import Address, Civility, CustomerCategory, ThirdParty
from lmb import bounds, money, rows, run_cache, transactions
from lmb.errors import DomainError
from lmb.formats import decimal_fr, money_fr
from lmb.models import PaymentTerms
from sales import services as sales_services
from sales.models import DocumentLine, Order, PaymentMethod
from sales.services import documents

from . import products as shop_products
from .client import WebserviceClient, WebserviceError
from .models import Binding, ImportIssue, ShopChannel

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
    status: str  # created | unchanged | updated | failed
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
    rows: dict = field(default_factory=dict)  # (model, id) → the bound customers and addresses read (for one page)
    products: dict = field(default_factory=dict)  # "product_id:attribute_id" → ShopItem, for the rows not bound yet
    may_create: bool = True  # False while a page is prepared in memory: an order creating a product goes alone

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


def decimal(payload: dict, name: str) -> Decimal:
    raw = text(payload, name) or "0"
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


def _rate_of_code(code: str, memo: dict) -> Decimal:
    if "vat_codes" not in memo:
        memo["vat_codes"] = dict(VatRate.objects.values_list("code", "rate"))
    if code not in memo["vat_codes"]:
        raise ImportRefused(_("Le taux de TVA %(code)s associé à un groupe de taxes n'existe plus dans LMB.") % {"code": code})
    return memo["vat_codes"][code]


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


def _customer_fields(channel: ShopChannel, payload: dict) -> dict:
    company = text(payload, "company")
    fields = {
        "email": text(payload, "email"),
        "is_customer": True,
        "payment_terms": PaymentTerms.ON_RECEIPT,  # a web order is paid at checkout
        "notes": _("Client de la boutique PrestaShop %(shop)s, n° %(id)s.") % {"shop": channel.name, "id": text(payload, "id")},
    }
    civility = {"1": Civility.MR, "2": Civility.MRS}.get(text(payload, "id_gender"), "")
    if company:
        return {**fields, "kind": ThirdParty.Kind.COMPANY, "name": company, "customer_category": CustomerCategory.BUSINESS}
    return {
        **fields,
        "kind": ThirdParty.Kind.INDIVIDUAL,
        "last_name": text(payload, "lastname"),
        "first_name": text(payload, "firstname"),
        "civility": civility,
        "customer_category": CustomerCategory.CONSUMER,
    }


def _customer(channel, external_id: str, payload: dict | None, fetched: Fetched) -> ThirdParty:
    bound = fetched.bound
    if (Binding.Kind.CUSTOMER, external_id) in bound:  # bindings are never removed: no lock needed
        return fetched.row(ThirdParty, bound[Binding.Kind.CUSTOMER, external_id])
    _lock(channel, Binding.Kind.CUSTOMER, external_id)
    existing = bound_id(channel, Binding.Kind.CUSTOMER, external_id)
    if existing:
        return rows.get_row(ThirdParty, existing)
    if payload is None:
        raise ImportRefused(_("Le client PrestaShop n° %(id)s n'a pas été lu.") % {"id": external_id})
    customer = crm_services.create_third_party(**_customer_fields(channel, payload))
    _bind(channel, Binding.Kind.CUSTOMER, external_id, customer.pk, fingerprint=fingerprint(without_secrets(payload)))
    return customer


def country_of(channel: ShopChannel, client: WebserviceClient, country_id: str) -> str:
    """The ISO code of a shop's country id, read once and kept on the channel."""
    if country_id not in channel.countries:
        iso = text(client.get("countries", country_id), "iso_code").upper()
        channel.countries = {**channel.countries, country_id: iso}
        ShopChannel.objects.filter(pk=channel.pk).update(countries=channel.countries)
    return channel.countries[country_id]


def _address(channel, customer: ThirdParty, external_id: str, payload: dict | None, kind: str, bound: dict) -> Address | int:
    """The LMB address bound to the shop's (its id only when it was bound already)."""
    if (Binding.Kind.ADDRESS, external_id) in bound:
        return bound[Binding.Kind.ADDRESS, external_id]
    _lock(channel, Binding.Kind.ADDRESS, external_id)
    existing = bound_id(channel, Binding.Kind.ADDRESS, external_id)
    if existing:
        return Address.objects.get(pk=existing)
    if payload is None:
        raise ImportRefused(_("L'adresse PrestaShop n° %(id)s n'a pas été lue.") % {"id": external_id})
    recipient = " ".join(part for part in (text(payload, "firstname"), text(payload, "lastname")) if part)
    company = text(payload, "company")
    address = crm_services.add_address(
        customer,
        kind=kind,
        # Too long for LMB's columns, the shop's values are refused (error queue) by add_address, never cut.
        label=text(payload, "alias"),
        recipient=f"{company} — {recipient}" if company and company != customer.name else recipient,
        line1=text(payload, "address1"),
        line2=text(payload, "address2"),
        postal_code=text(payload, "postcode"),
        city=text(payload, "city"),
        country=payload["_country"],
        phone=text(payload, "phone") or text(payload, "phone_mobile"),
    )
    _bind(channel, Binding.Kind.ADDRESS, external_id, address.pk, fingerprint=fingerprint(payload))
    return address


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


def fetch_related(channel: ShopChannel, client: WebserviceClient, order: dict, memo: dict, known: dict | None = None) -> Fetched:
    """Read the customer and addresses the order needs and LMB does not have yet (``known``: the
    order's ``bindings_of``, when the caller read them)."""
    fetched = Fetched(memo=memo)
    customer_id = text(order, "id_customer")
    address_ids = {text(order, "id_address_invoice"), text(order, "id_address_delivery")}
    known = bindings_of(channel, order) if known is None else known
    fetched.bound = {key: object_id for key, (object_id, _print) in known.items() if key[0] != Binding.Kind.ORDER}
    if (Binding.Kind.CUSTOMER, customer_id) not in fetched.bound:
        fetched.customer = client.get("customers", customer_id)
    order_rows = rows_of(order)
    fetched.bound |= shop_products.bound_products(channel, map(shop_products.key_of, order_rows))
    fetched.products = shop_products.read_rows(client, order_rows, fetched.bound, memo)
    if channel.tax_rules and not all(text(row, "id_tax_rules_group") for row in rows_of(order)):
        fetched.tax_groups = tax_groups_of(client, text(order, "id"))
    for address_id in sorted(address_ids):
        if (Binding.Kind.ADDRESS, address_id) in fetched.bound:
            continue
        address = client.get("addresses", address_id)
        address["_country"] = country_of(channel, client, text(address, "id_country"))
        fetched.addresses[address_id] = address
    return fetched


def tax_groups_of(client: WebserviceClient, order_id: str) -> dict:
    """Order rows carry no tax rules group; their order_details (same id) do."""
    details = client.list("order_details", filters={"id_order": f"[{order_id}]"}, display="[id,id_tax_rules_group]")
    return {text(detail, "id"): text(detail, "id_tax_rules_group") for detail in details}


# --- Orders ---------------------------------------------------------------------------------------


def _currency(channel: ShopChannel, order: dict) -> str:
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


def row_vat_rate(channel: ShopChannel, row: dict, fetched: Fetched) -> Decimal:
    """The LMB rate of a row: the one its tax rules group is mapped to (its prices must agree with
    it), else the LMB rate its prices were computed with; none of them: the order is refused."""
    incl, excl = decimal(row, "unit_price_tax_incl"), decimal(row, "unit_price_tax_excl")
    what = _("Ligne « %(line)s »") % {"line": _row_label(row)}
    group = text(row, "id_tax_rules_group") or fetched.tax_groups.get(text(row, "id"), "")
    code = (channel.tax_rules or {}).get(group)
    if code:
        rate = _rate_of_code(code, fetched.memo)
        if price_gap(incl, excl, rate) > PRICE_TOLERANCE:
            raise ImportRefused(
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
        return rate
    rate = matching_rate(incl, excl, lmb_rates(fetched.memo))
    if rate is None:
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


def _lines(channel: ShopChannel, order: dict, fetched: Fetched) -> list[dict]:
    lines = []
    for row in rows_of(order):
        rate = row_vat_rate(channel, row, fetched)
        lines.append(
            {
                "product": shop_products.line_product(channel, row, fetched, rate),
                "description": text(row, "product_name") or text(row, "product_reference"),
                "quantity": decimal(row, "product_quantity"),
                "unit_price": money.unit_price(decimal(row, "unit_price_tax_incl")),
                "vat_rate": rate,
                "_row": row,
            }
        )
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
            }
        )
    shipping = _shipping_line(channel, order, fetched.memo)
    if shipping:
        lines.append(shipping)
    return lines


def _discount_percent(order: dict) -> Decimal:
    """Cart rules arrive only as a total: LMB applies them as a document discount, the share of
    the products it represents (checked against the shop's figure afterwards)."""
    discount, products = decimal(order, "total_discounts_tax_incl"), decimal(order, "total_products_wt")
    if not discount:
        return ZERO
    if products <= 0:
        raise ImportRefused(_("Remise de %(amount)s sur une commande sans produit.") % {"amount": money_fr(discount)})
    return money.round_to(discount / products * 100, 2)


def check_totals(order: Order, payload: dict, lines=None):
    """The shop's totals, to the cent, or TotalsMismatch naming every difference (``lines``: the
    order's, when the caller holds them)."""
    lines = documents.ordered_lines(order) if lines is None else lines
    shipping = sum((line.gross_amount for line in lines if line.kind == DocumentLine.Kind.SHIPPING), ZERO)
    products = sum(
        (line.gross_amount for line in lines if line.kind in (DocumentLine.Kind.PRODUCT, DocumentLine.Kind.ECO)), ZERO
    ) + sum((line.gross_amount for line in lines if line.kind == DocumentLine.Kind.TEXT and line.parent_id is None), ZERO)
    wrapping = money.amount(decimal(payload, "total_wrapping_tax_incl"))
    products -= wrapping  # the wrapping line is a text line of its own
    discounts = sum((line.gross_amount for line in lines), ZERO) - order.total_incl_tax
    expected = {
        _("produits TTC"): (products, decimal(payload, "total_products_wt")),
        _("port TTC"): (shipping, decimal(payload, "total_shipping_tax_incl")),
        _("remises TTC"): (discounts, decimal(payload, "total_discounts_tax_incl")),
        _("total payé TTC"): (order.total_incl_tax, decimal(payload, "total_paid_tax_incl")),
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
            _("Les totaux ne correspondent pas à ceux de la boutique (rien n'a été ajusté) : %(list)s.")
            % {"list": " ; ".join(differences)}
        )


def _payment_method(channel: ShopChannel, module: str) -> str:
    mapping = {**DEFAULT_PAYMENT_METHODS, **(channel.payment_methods or {})}
    return mapping.get(module, PaymentMethod.CARD)


def _order_terms(channel: ShopChannel, payload: dict, fetched: Fetched) -> tuple[dict, list[dict]]:
    """What ``create_order`` is given for the shop's order (its customer and addresses bound,
    created when new), and the lines as built from the shop's rows (with ``_row``)."""
    customer = _customer(channel, text(payload, "id_customer"), fetched.customer, fetched)
    invoice_id, delivery_id = text(payload, "id_address_invoice"), text(payload, "id_address_delivery")
    billing = _address(channel, customer, invoice_id, fetched.addresses.get(invoice_id), Address.Kind.BILLING, fetched.bound)
    if isinstance(billing, int):
        billing = fetched.row(Address, billing)
    delivery = _address(
        channel,
        customer,
        delivery_id,
        fetched.addresses.get(delivery_id),
        Address.Kind.BILLING if delivery_id == invoice_id else Address.Kind.DELIVERY,
        fetched.bound,
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
        "discount_percent": _discount_percent(payload),
        "note": _("Commande PrestaShop %(shop)s n° %(id)s (%(reference)s) du %(date)s, paiement : %(payment)s.")
        % {
            "shop": channel.name,
            "id": text(payload, "id"),
            "reference": reference,
            "date": text(payload, "date_add"),
            "payment": text(payload, "payment"),
        },
        "lines": [{key: value for key, value in line.items() if not key.startswith("_")} for line in lines],
    }
    return terms, lines


def _deposit_terms(channel: ShopChannel, payload: dict, order: Order) -> dict | None:
    """A paid web order is a deposit on the order (``receive_deposit``'s terms), up to its total."""
    paid = min(money.amount(decimal(payload, "total_paid_real")), order.total_incl_tax)
    if text(payload, "current_state") not in (channel.paid_states or []) or paid <= 0:
        return None
    return {
        "amount": paid,
        "method": _payment_method(channel, text(payload, "module")),
        "reference": _("PrestaShop %(reference)s") % {"reference": text(payload, "reference")},
    }


def _is_cancelled(channel: ShopChannel, payload: dict) -> bool:
    state = text(payload, "current_state")
    return bool(state) and state == (channel.states or {}).get("cancelled")


def _create_order(channel: ShopChannel, payload: dict, fetched: Fetched) -> Order:
    terms, lines = _order_terms(channel, payload, fetched)
    order = sales_services.create_order(**terms)
    check_totals(order, payload)
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
    *, channel: ShopChannel, client: WebserviceClient, external_id=None, payload: dict | None = None, memo: dict | None = None
) -> Outcome:
    """Import one shop order (read by id, or given as read from a list page), once.

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
        fetched = fetch_related(channel, client, payload, memo, known) if bound_order is None else Fetched()
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

    @property
    def external_id(self) -> str:
        return text(self.payload, "id")


def import_page(
    *, channel: ShopChannel, client: WebserviceClient, payloads: list[dict], memo: dict | None = None
) -> list[Outcome]:
    """``import_order`` for each order of a list page, in the page's order, with the same outcomes
    and the same rows written — the new orders of customers LMB knows in one transaction, a few
    statements for the whole page (sales.services.bulk_orders), instead of one transaction and
    some thirty statements each.

    Whatever that path does not take — an order bound already, a new customer or address, an
    order cancelled on the shop, an order refused (totals, currency…), a page whose write fails —
    goes through ``import_order``, which records refusals in the error queue as always."""
    memo = {} if memo is None else memo
    outcomes: dict[int, Outcome] = {}
    page_rows = {}  # the customers and addresses read for the page's orders

    def one_by_one(index):
        return import_order(channel=channel, client=client, payload=payloads[index], memo=memo)

    known = page_bindings(channel, payloads)
    waiting: list[_Prepared] = []  # prepared, written together when the page ends or an order must go alone

    def write_waiting():
        for index, outcome in _write_page(channel, waiting, memo).items():
            outcomes[index] = outcome or one_by_one(index)
        waiting.clear()

    for index, payload in enumerate(payloads):
        bound = known.get((Binding.Kind.ORDER, text(payload, "id")))
        if bound is not None and bound[1] == fingerprint(without_secrets(payload)):
            outcomes[index] = Outcome(text(payload, "id"), "unchanged", bound[0])
            continue
        missing = _party_keys(payload) - known.keys()
        if bound is None and not missing and not _is_cancelled(channel, payload):
            try:
                waiting.append(_prepare(channel, client, index, payload, known, memo, page_rows))
                continue
            except (DomainError, WebserviceError):
                pass  # refused again one by one below, and kept in the error queue there
        write_waiting()  # the orders above first: LMB numbers them in the page's order
        outcomes[index] = one_by_one(index)
        if missing:  # the customer or addresses it brought serve the rest of the page
            known |= page_bindings(channel, payloads[index + 1 :])
    write_waiting()
    return [outcomes[index] for index in range(len(payloads))]


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


def _prepare(channel, client, index: int, payload: dict, known: dict, memo: dict, page_rows: dict) -> _Prepared:
    """The order built and checked against the shop's totals, in memory (nothing written)."""
    fetched = fetch_related(channel, client, payload, memo, {key: known[key] for key in _party_keys(payload)})
    fetched.rows = page_rows
    fetched.may_create = False
    with run_cache.kept_in(memo):
        terms, lines = _order_terms(channel, payload, fetched)
        new = sales_services.prepare_order(**terms)
        check_totals(new.order, payload, new.lines)
        deposit = _deposit_terms(channel, payload, new.order)
        if deposit:
            sales_services.add_deposit(new, **deposit)
    return _Prepared(index, payload, fingerprint(without_secrets(payload)), new, lines)


def _write_page(channel: ShopChannel, prepared: list[_Prepared], memo: dict) -> dict[int, Outcome | None]:
    """Write the prepared orders in one transaction, under the locks of their keys; None for an
    order to import on its own (bound meanwhile by a webhook, or the page's write failed)."""
    if not prepared:
        return {}
    try:
        with run_cache.kept_in(memo), transactions.all_or_nothing():
            taken = _lock_orders(channel, [item.external_id for item in prepared])
            todo = [item for item in prepared if item.external_id not in taken]
            if todo:
                sales_services.save_confirmed_orders([item.order for item in todo])
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
    except (DatabaseError, DomainError) as error:  # a deadlock, a unique key taken behind the locks' back…
        logger.warning("PrestaShop %s: a page of %s orders written one by one instead (%s)", channel, len(prepared), error)
        return {item.index: None for item in prepared}
    written = {item.index for item in todo}
    return {
        item.index: Outcome(item.external_id, "created", item.order.order.pk) if item.index in written else None
        for item in prepared
    }


def _lock_orders(channel: ShopChannel, external_ids: list[str]) -> set[str]:
    """Take the import locks of the orders (in one order every importer of a page follows: no
    deadlock), then return those bound already."""
    if connection.vendor == "postgresql":
        keys = sorted(_lock_key(channel, Binding.Kind.ORDER, external_id) for external_id in external_ids)
        _fetch("SELECT pg_advisory_xact_lock(key) FROM unnest(%s::bigint[]) AS key", [keys])
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
