"""Write paths of the catalogue: categories, products (prices derived in one place), barcodes,
price lists."""

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from lmb import bounds, money
from lmb.errors import Conflict, InvalidInput
from lmb.services import apply_changes, next_value, validate_and_save
from lmb.text_search import search_text
from lmb.validators import ean13_with_check_digit

from .models import Category, PriceList, PriceListItem, Product

# GS1 keeps prefixes 20 to 29 for numbers a shop assigns itself (restricted circulation); LMB
# generates its internal codes as 20 + a 10-digit counter + the check digit.
INTERNAL_EAN_PREFIX = "20"


# --- Categories --------------------------------------------------------------------------------


def category_sort_key(name: str) -> str:
    return search_text(name).encode().hex().upper() + "00"


def _place(category: Category):
    """Compute the category's path, depth and breadcrumb from its parent."""
    parent = category.parent
    category.path = f"{parent.path if parent else ''}{category.pk:06d}/"
    category.depth = parent.depth + 1 if parent else 0
    category.full_name = f"{parent.full_name} > {category.name}" if parent else category.name
    category.sort_key = (parent.sort_key if parent else "") + category_sort_key(category.name)


def _refresh_descendants(category: Category):
    """After a move or rename, recompute the descendants (trees are small: hundreds of nodes)."""
    for child in Category.objects.filter(parent=category).order_by("pk"):
        child.parent = category
        _place(child)
        child.save(update_fields=["path", "depth", "full_name", "sort_key"])
        _refresh_descendants(child)


@transaction.atomic
def create_category(*, name: str, parent: Category | None = None) -> Category:
    category = validate_and_save(Category(name=name, parent=parent, path="-", full_name=name))
    _place(category)
    category.save(update_fields=["path", "depth", "full_name", "sort_key"])
    return category


@transaction.atomic
def update_category(category: Category, **changes) -> Category:
    """Rename or move a category; refuses to move it under itself or its own sub-category."""
    new_parent = changes.get("parent", category.parent)
    if new_parent is not None and (new_parent.pk == category.pk or new_parent.path.startswith(category.path)):
        raise InvalidInput(
            {"parent": [_("Une catégorie ne peut pas être rangée sous elle-même ou sous une de ses sous-catégories.")]}
        )
    category = apply_changes(category, changes)
    _place(category)
    category.save(update_fields=["path", "depth", "full_name", "sort_key"])
    _refresh_descendants(category)
    _copy_sort_keys_to_products(category)
    return category


def _copy_sort_keys_to_products(category: Category):
    """The products of the category and of its sub-categories take their category's new sort key."""
    own_key = Category.objects.filter(pk=OuterRef("category_id")).values("sort_key")
    Product.objects.filter(category__path__startswith=category.path).update(category_sort_key=Subquery(own_key))


def _sort_with_category(product: Product):
    """Copy the product's category sort key (see ``Product.category_sort_key``)."""
    product.category_sort_key = product.category.sort_key if product.category_id else ""


@transaction.atomic
def delete_category(category: Category):
    """Delete an empty category; one that still holds products or sub-categories is refused."""
    if category.children.exists() or category.products.exists():
        raise Conflict(
            _("La catégorie « %(name)s » contient encore des produits ou des sous-catégories.") % {"name": category.name}
        )
    category.delete()


# --- Products ----------------------------------------------------------------------------------


def derive_prices(product: Product):
    """Fill both the HT and the TTC sale price from the one the user entered, at the product's
    VAT rate. The entered one is kept exactly (a shop's TTC price stays what the customer saw).
    A price whose other form its column cannot hold is refused, naming the sale price."""
    entered = money.unit_price(product.sale_price or 0)
    rate = product.vat_rate.rate
    if product.price_includes_tax:
        product.sale_price_incl_tax = entered
        product.sale_price_excl_tax = money.excl_from_incl(entered, rate)
    else:
        product.sale_price_excl_tax = entered
        product.sale_price_incl_tax = money.incl_from_excl(entered, rate)
    for name, what in (("sale_price_excl_tax", _("le prix HT")), ("sale_price_incl_tax", _("le prix TTC"))):
        column = Product._meta.get_field(name)
        value = getattr(product, name)
        if not bounds.fits(value, column.max_digits, column.decimal_places):
            message = bounds.too_large_result(_("prix de vente"), what, value, column.max_digits, column.decimal_places)
            raise InvalidInput({"sale_price": [message]})


def _check_vat_rate(product: Product):
    if product.vat_rate_id and product.vat_rate.territory != product.vat_rate.Territory.METROPOLITAN:
        message = _("Un produit porte un taux de France métropolitaine ; ceux d'outre-mer et de Corse s'appliquent à la vente.")
        raise InvalidInput({"vat_rate": [message]})


def _check_variant(product: Product):
    """One level of variants: a variant's model is a product that is no variant itself, and a
    model (a product with variants) cannot become a variant."""
    model = product.variant_of
    if model is None:
        return
    if product.pk and model.pk == product.pk:
        raise InvalidInput({"variant_of": [_("Un produit ne peut pas être une déclinaison de lui-même.")]})
    if model.variant_of_id:
        raise InvalidInput(
            {
                "variant_of": [
                    _("« %(model)s » est lui-même une déclinaison de « %(parent)s » : choisissez le modèle.")
                    % {"model": model.reference, "parent": model.variant_of.reference}
                ]
            }
        )
    if product.pk and product.variants.exists():
        raise InvalidInput(
            {"variant_of": [_("Ce produit est le modèle d'autres déclinaisons : il ne peut pas être lui-même une déclinaison.")]}
        )


@transaction.atomic
def create_product(*, generate_ean: bool = False, **fields) -> Product:
    """Create a product; with ``generate_ean`` and no EAN given, assign an internal EAN-13. A
    variant names its model (``variant_of``) and its ``variant_attributes``."""
    product = Product(**fields)
    if generate_ean and not product.ean13:
        product.ean13 = next_internal_ean()
    _check_vat_rate(product)
    _check_variant(product)
    if product.vat_rate_id:
        derive_prices(product)
    _sort_with_category(product)
    return validate_and_save(product)


@transaction.atomic
def update_product(product: Product, *, generate_ean: bool = False, **changes) -> Product:
    for name, value in changes.items():
        setattr(product, name, value)
    if generate_ean and not product.ean13:
        product.ean13 = next_internal_ean()
    _check_vat_rate(product)
    _check_variant(product)
    if product.vat_rate_id:
        derive_prices(product)
    _sort_with_category(product)
    return validate_and_save(product)


@transaction.atomic
def delete_product(product: Product):
    product.delete()


def next_internal_ean() -> str:
    """The next free EAN-13 of the shop's internal range (20xxxxxxxxxxC). Must run in a transaction."""
    while True:
        code = ean13_with_check_digit(f"{INTERNAL_EAN_PREFIX}{next_value('internal_ean'):010d}")
        if not Product.objects.filter(ean13=code).exists():
            return code


# --- Price lists -------------------------------------------------------------------------------


@transaction.atomic
def create_price_list(**fields) -> PriceList:
    return validate_and_save(PriceList(**fields))


@transaction.atomic
def update_price_list(price_list: PriceList, **changes) -> PriceList:
    return apply_changes(price_list, changes)


@transaction.atomic
def delete_price_list(price_list: PriceList):
    price_list.delete()


@transaction.atomic
def set_price_list_item(
    *, price_list: PriceList, product: Product, min_quantity=1, unit_price_excl_tax=None, discount_percent=None
) -> PriceListItem:
    """Create or replace the price of a product from a quantity in a price list."""
    item = PriceListItem.objects.filter(price_list=price_list, product=product, min_quantity=money.quantity(min_quantity)).first()
    item = item or PriceListItem(price_list=price_list, product=product, min_quantity=money.quantity(min_quantity))
    item.unit_price_excl_tax = unit_price_excl_tax
    item.discount_percent = discount_percent
    return validate_and_save(item)


@transaction.atomic
def update_price_list_item(item: PriceListItem, **changes) -> PriceListItem:
    return apply_changes(item, changes)


@transaction.atomic
def delete_price_list_item(item: PriceListItem):
    item.delete()


# --- Spreadsheet import ------------------------------------------------------------------------

CATEGORY_SEPARATOR = ">"


def split_category_path(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(CATEGORY_SEPARATOR) if part.strip()]


def ensure_category_path(text: str) -> Category | None:
    """The category named by a path such as "Maison > Cuisine", created level by level if missing."""
    parent = None
    for name in split_category_path(text):
        category = Category.objects.filter(parent=parent, name__iexact=name).first()
        parent = category or create_category(name=name, parent=parent)
    return parent


IMPORTED_PRODUCT_FIELDS = [
    "reference",
    "designation",
    "description",
    "category",
    "kind",
    "unit",
    "vat_rate",
    "purchase_price",
    "price_includes_tax",
    "sale_price",
    "sale_price_excl_tax",
    "sale_price_incl_tax",
    "eco_participation",
    "weight",
    "length",
    "width",
    "height",
    "units_per_pack",
    "units_per_pallet",
    "ean13",
    "is_active",
]


@transaction.atomic
def import_products(rows) -> tuple[int, int]:
    """Write checked import rows in bulk: ``rows`` are (existing product or None, field values,
    category path or ""). Missing categories of the paths are created. Returns (created, updated)."""
    categories = {path: ensure_category_path(path) for path in {path for _p, _f, path in rows if path}}
    now = timezone.now()
    new, changed = [], []
    for existing, fields, path in rows:
        product = existing or Product(created_at=now)
        for name, value in fields.items():
            setattr(product, name, value)
        if path:
            product.category = categories[path]
        _sort_with_category(product)
        product.ean13 = product.ean13 or None
        product.updated_at = now
        derive_prices(product)
        (changed if existing else new).append(product)
    try:
        with transaction.atomic():
            Product.objects.bulk_create(new, batch_size=1000)
            Product.objects.bulk_update(changed, [*IMPORTED_PRODUCT_FIELDS, "category_sort_key", "updated_at"], batch_size=1000)
    except IntegrityError as exc:
        raise Conflict(
            _("Un autre utilisateur a modifié le catalogue pendant l'import (référence ou EAN déjà pris) : relancez l'aperçu.")
        ) from exc
    return len(new), len(changed)
