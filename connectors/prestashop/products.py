"""Which LMB product an order row sells: PrestaShop products and combinations, bound one to one.

An order row names ``product_id`` and ``product_attribute_id`` (its combination, 0 when none).
LMB holds one product per combination (catalog docstring: a variant, with its model and
attributes), so:

- a **binding** (kind product, external id ``"<product_id>:<product_attribute_id>"``) is exact: a
  bound row is that product, whatever its reference says today. One LMB product is bound to at
  most one combination of a shop (a unique constraint): the stock pushed to a combination is its
  own product's, never another combination's;
- an unbound row is **matched** by its own codes: for a combination, the combination's own
  reference, then its own EAN-13, read from the shop's ``combinations`` (the row's
  ``product_reference`` is the parent's when the combination has none — never a match for a
  combination); for a row without combination, the product's reference, then its EAN-13;
- an **unknown** one is created in LMB from the shop's data (``products``, ``combinations``,
  ``product_option_values`` and ``product_options`` in the shop's French language when it has
  one), or refuses the order into the error queue, as the channel's ``unknown_products`` says.
  A product row never becomes a text line.

Everything is read from the shop before the order's transaction (``read_rows``); the matching,
creating and binding run inside it, under a lock on the combination's key.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import services as catalog_services
from catalog.models import Product, VatRate
from catalog.queries import find_by_code
from lmb import rows
from lmb.errors import DomainError
from lmb.formats import decimal_fr
from lmb.validators import validate_ean13

from . import importer
from .client import WebserviceError
from .models import Binding, ShopChannel


class ProductRefused(DomainError):
    """A row's product cannot be told (unknown, or its LMB product bound to another combination)."""


@dataclass
class ShopItem:
    """What the shop says of the product or combination a row sells."""

    key: str  # "<product_id>:<product_attribute_id>"
    product_id: str
    attribute_id: str  # "0": a product without combination
    reference: str  # its own reference (a combination's own: "" when it has none)
    ean13: str  # its own EAN-13
    name: str  # the product's name in the shop's language
    attributes: str  # « Taille : M, Couleur : Bleu » ("" without combination)
    price: Decimal  # tax excluded: the product's price plus the combination's impact
    model_reference: str  # the product's own reference (a combination's model)
    tax_rules_group: str = ""  # the product's id_tax_rules_group

    @property
    def is_combination(self) -> bool:
        return self.attribute_id not in ("", "0")

    @property
    def model_code(self) -> str:
        """The LMB reference of the product (a combination's model): the shop's, else PS-<id>."""
        return self.model_reference or f"PS-{self.product_id}"

    @property
    def lmb_reference(self) -> str:
        """Its own reference, else (a combination without one) its model's and its id."""
        if self.reference:
            return self.reference
        return f"{self.model_code}-{self.attribute_id}" if self.is_combination else self.model_code


def key_of(row: dict) -> str:
    return f"{importer.text(row, 'product_id')}:{importer.text(row, 'product_attribute_id') or '0'}"


def describe(key: str) -> str:
    """« produit n° 30, déclinaison n° 302 de la boutique » (or « produit n° 24 de la boutique »):
    the shop's ids of a key, for messages."""
    product_id, _sep, attribute_id = key.partition(":")
    if attribute_id in ("", "0"):
        return _("produit n° %(product)s de la boutique") % {"product": product_id}
    return _("produit n° %(product)s, déclinaison n° %(combination)s de la boutique") % {
        "product": product_id,
        "combination": attribute_id,
    }


# --- Reading the shop (before the order's transaction) --------------------------------------------


def bound_products(channel: ShopChannel, keys) -> dict:
    """(kind product, key) → LMB product id, for the keys bound already."""
    found = Binding.objects.filter(channel=channel, kind=Binding.Kind.PRODUCT, external_id__in=set(keys))
    return {(Binding.Kind.PRODUCT, key): object_id for key, object_id in found.values_list("external_id", "object_id")}


def read_rows(client, order_rows: list[dict], bound: dict, memo: dict) -> dict:
    """key → ShopItem for every row not bound yet (read once per sync run)."""
    items = {}
    for row in order_rows:
        key = key_of(row)
        if (Binding.Kind.PRODUCT, key) in bound or key in items:
            continue
        if ("shop_item", key) not in memo:
            memo["shop_item", key] = _read_item(client, row, memo)
        items[key] = memo["shop_item", key]
    return items


def _read_item(client, row: dict, memo: dict) -> ShopItem:
    text = importer.text
    product_id, attribute_id = text(row, "product_id"), text(row, "product_attribute_id") or "0"
    language = shop_language(client, memo)
    product = client.get("products", product_id)
    item = ShopItem(
        key=f"{product_id}:{attribute_id}",
        product_id=product_id,
        attribute_id=attribute_id,
        reference=text(product, "reference"),
        ean13=text(product, "ean13"),
        name=in_language(product, "name", language),
        attributes="",
        price=importer.decimal(product, "price"),
        model_reference=text(product, "reference"),
        tax_rules_group=text(product, "id_tax_rules_group"),
    )
    if attribute_id == "0":
        return item
    combination = client.get("combinations", attribute_id)
    if text(combination, "id_product") != product_id:
        raise ProductRefused(
            _("La déclinaison n° %(combination)s de la boutique n'appartient pas au produit n° %(product)s de la ligne.")
            % {"combination": attribute_id, "product": product_id}
        )
    item.reference, item.ean13 = text(combination, "reference"), text(combination, "ean13")
    item.price += importer.decimal(combination, "price")
    item.attributes = ", ".join(_option_value(client, value_id, language, memo) for value_id in _option_value_ids(combination))
    return item


def _option_value_ids(combination: dict) -> list[str]:
    values = (combination.get("associations") or {}).get("product_option_values") or []
    values = values if isinstance(values, list) else [values]
    return [importer.text(value, "id") for value in values]


def _option_value(client, value_id: str, language: str, memo: dict) -> str:
    """« Taille : M »: the option's public name and the value's name, in the shop's language."""
    if ("option_value", value_id) not in memo:
        value = client.get("product_option_values", value_id)
        option = client.get("product_options", importer.text(value, "id_attribute_group"))
        option_name = in_language(option, "public_name", language) or in_language(option, "name", language)
        memo["option_value", value_id] = f"{option_name} : {in_language(value, 'name', language)}"
    return memo["option_value", value_id]


def shop_language(client, memo: dict) -> str:
    """The id of the shop's French language (LMB's screens are French), else of its first one;
    "" when the key may not read ``languages`` (then the first value of a field is taken)."""
    if "shop_language" not in memo:
        try:
            languages = list(client.list("languages", display="[id,iso_code]"))
        except WebserviceError:
            languages = []
        french = [language for language in languages if importer.text(language, "iso_code").lower() == "fr"]
        chosen = (french or languages or [{}])[0]
        memo["shop_language"] = importer.text(chosen, "id")
    return memo["shop_language"]


def in_language(payload: dict, name: str, language: str) -> str:
    """A translatable field in one language: a list of {"id", "value"}, or a plain string (a
    one-language shop, or a read with ``language=N``)."""
    value = payload.get(name, "")
    if isinstance(value, list):
        chosen = [entry for entry in value if str(entry.get("id")) == language] or value[:1]
        value = chosen[0].get("value", "") if chosen else ""
    return str(value if value is not None else "").strip()


# --- Inside the order's transaction --------------------------------------------------------------


def line_product(channel: ShopChannel, row: dict, fetched, vat_rate: Decimal) -> Product:
    """The LMB product the row sells: bound, else matched by its own codes, else created (or the
    order refused), as the module docstring says."""
    key = key_of(row)
    bound = fetched.bound.get((Binding.Kind.PRODUCT, key))
    if bound is not None:
        return _product_row(bound, fetched.memo)
    item = fetched.products[key]
    product = _matching(item)
    if product is not None:
        return product
    if channel.unknown_products != ShopChannel.UnknownProducts.CREATE:
        raise ProductRefused(
            _(
                "Ligne « %(line)s » (%(item)s, référence « %(reference)s », EAN « %(ean)s ») : aucun produit LMB n'a "
                "cette référence ni cet EAN ; créez-le dans LMB, ou réglez la boutique pour créer les produits inconnus."
            )
            % {"line": importer._row_label(row), "item": describe(item.key), "reference": item.reference, "ean": item.ean13}
        )
    if not fetched.may_create:
        raise ProductRefused(_("Produit à créer : la commande est importée seule."))
    importer._lock(channel, Binding.Kind.PRODUCT, key)
    bound = importer.bound_id(channel, Binding.Kind.PRODUCT, key)  # created meanwhile by another import
    return rows.get_row(Product, bound) if bound else _create(channel, item, vat_rate)


def _product_row(pk: int, memo: dict) -> Product:
    """A bound product with its VAT rate (the order's line reads it), read once per sync run."""
    if ("bound_product", pk) not in memo:
        product = Product.objects.select_related("vat_rate").filter(pk=pk).first()
        if product is None:  # deleted in LMB since: the binding names nothing to sell
            raise ProductRefused(_("Le produit LMB n° %(id)s lié à cette ligne de la boutique n'existe plus.") % {"id": pk})
        memo["bound_product", pk] = product
    return memo["bound_product", pk]


def _matching(item: ShopItem) -> Product | None:
    """The LMB product with the item's own reference, else its own EAN-13 (a combination without
    either matches nothing: its parent's reference is the model's, not the variant's)."""
    return find_by_code(item.reference) or find_by_code(item.ean13)


def _metropolitan(**filters) -> VatRate | None:
    today = timezone.localdate()
    return (
        VatRate.objects.filter(territory=VatRate.Territory.METROPOLITAN, valid_from__lte=today, **filters)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .first()
    )


def _catalogue_rate(channel: ShopChannel, item: ShopItem, row_rate: Decimal) -> tuple[VatRate, str]:
    """The new product's own rate (the order's lines keep the rows' rates whatever it is): its tax
    rules group's mapped rate, else the row's when it is a rate of metropolitan France, else the
    standard rate — then said on the product, to check (a row at 0 %: an export, a shop without
    taxes…)."""
    mapped = (channel.tax_rules or {}).get(item.tax_rules_group)
    found = _metropolitan(code=mapped) if mapped else None
    found = found or _metropolitan(rate=row_rate)
    if found is not None:
        return found, ""
    standard = _metropolitan(category=VatRate.Category.STANDARD)
    note = _("Taux de TVA à vérifier : la commande le vendait à %(rate)s %%, qui n'est aucun taux de France métropolitaine.") % {
        "rate": decimal_fr(row_rate)
    }
    return standard, note


def _create(channel: ShopChannel, item: ShopItem, row_rate: Decimal) -> Product:
    """The shop's product or combination as an LMB product (a combination: a variant of its model,
    found by the product's reference or created, inactive: the model itself is not sold)."""
    rate, rate_note = _catalogue_rate(channel, item, row_rate)
    model = _model_of(item, rate) if item.is_combination else None
    description = " ".join(
        part for part in (_("Créé depuis la boutique PrestaShop (%(item)s).") % {"item": describe(item.key)}, rate_note) if part
    )
    ean13, ean_problem = _valid_ean(item.ean13)
    if ean_problem:  # a shop's EAN with a wrong check digit: said on the product, not carried over
        description += " " + _("Son code EAN « %(ean)s » n'est pas repris : %(problem)s") % {
            "ean": item.ean13,
            "problem": ean_problem,
        }
    return catalog_services.create_product(
        reference=item.lmb_reference,
        designation=f"{item.name} — {item.attributes}" if item.attributes else item.name,
        vat_rate=rate,
        sale_price=item.price,
        ean13=ean13,
        variant_of=model,
        variant_attributes=item.attributes,
        description=description,
    )


def _valid_ean(code: str) -> tuple[str | None, str]:
    """(the EAN-13 to store, or None; why the shop's one is not taken, or "")."""
    if not code:
        return None, ""
    try:
        validate_ean13(code)
    except ValidationError as error:
        return None, " ".join(error.messages)
    return code, ""


def _model_of(item: ShopItem, rate: VatRate) -> Product | None:
    found = find_by_code(item.model_code)
    if found is not None:
        return None if found.variant_of_id else found  # a variant is no model (one level)
    return catalog_services.create_product(
        reference=item.model_code,
        designation=item.name,
        vat_rate=rate,
        sale_price=item.price,
        is_active=False,
        description=_("Modèle des déclinaisons du produit n° %(product)s de la boutique PrestaShop.")
        % {"product": item.product_id},
    )


def bind(channel: ShopChannel, lines: list[dict], bound: dict | None = None):
    """Bind each product row's combination to its LMB product, one to one: a product already bound
    to another combination of the shop (or two combinations of the order on one product) refuses
    the order, naming both — never one of them silently left unbound. ``bound``: the bindings read
    before (Fetched.bound), whose rows need nothing more (bindings are never removed)."""
    bound = bound or {}
    wanted: dict[str, tuple[int, dict]] = {}
    for line in lines:
        if line.get("product") is not None and line.get("_row") is not None:
            key = key_of(line["_row"])
            if bound.get((Binding.Kind.PRODUCT, key)) != line["product"].pk:
                wanted.setdefault(key, (line["product"].pk, line["_row"]))
    if not wanted:
        return
    for key in sorted(wanted):
        importer._lock(channel, Binding.Kind.PRODUCT, key)
    product_ids = {product_id for product_id, _row in wanted.values()}
    existing = dict(
        Binding.objects.filter(channel=channel, kind=Binding.Kind.PRODUCT)
        .filter(Q(external_id__in=wanted.keys()) | Q(object_id__in=product_ids))
        .values_list("external_id", "object_id")
    )
    key_of_product = {object_id: external_id for external_id, object_id in existing.items()}
    new = {}
    for key, (product_id, row) in sorted(wanted.items()):
        if key in existing and existing[key] != product_id:  # bound meanwhile, by another import
            raise _clash(row, existing[key], key)
        other = key_of_product.get(product_id) or new.get(product_id)
        if other is not None and other != key:
            raise _clash(row, product_id, other)
        if key not in existing:
            new[product_id] = key
    Binding.objects.bulk_create(
        [
            Binding(channel=channel, kind=Binding.Kind.PRODUCT, external_id=key, object_id=product_id)
            for product_id, key in new.items()
        ]
    )


def _clash(row: dict, product_id: int, other_key: str) -> ProductRefused:
    reference = Product.objects.filter(pk=product_id).values_list("reference", flat=True).first()
    return ProductRefused(
        _(
            "Ligne « %(line)s » (%(item)s) : le produit LMB %(reference)s est déjà lié au %(other)s ; un produit LMB "
            "correspond à une seule déclinaison de la boutique (corrigez la référence ou l'EAN de l'une d'elles)."
        )
        % {"line": importer._row_label(row), "item": describe(key_of(row)), "reference": reference, "other": describe(other_key)}
    )
