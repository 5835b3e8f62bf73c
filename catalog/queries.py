"""Read paths of the catalogue shared by screens, API and other apps."""

from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from lmb import money

from .models import Category, PriceListItem, Product

# References that read the same without accents and case: a handful at most (the catalogue
# refuses two references equal but for case), enough to rank them.
MAX_SAME_CODE = 20


def products():
    return Product.objects.select_related("category", "vat_rate")


def in_category(queryset, category: Category):
    """Products of the category and of all its sub-categories."""
    return queryset.filter(category__path__startswith=category.path)


def find_by_code(code: str) -> Product | None:
    """The one product whose EAN-13 or reference is ``code`` (what a scanner types), the
    reference read without accents and case: "cpe-0002" is "CPÉ-0002". A scanned EAN wins over a
    reference spelling the same digits, a reference typed as it is written (case aside) over one
    that only matches without its accents; two references matching only that way are no answer."""
    code = (code or "").strip()
    if not code:
        return None
    candidates = products().filter(Q(ean13=code) | Q(reference__same_text=code)).order_by("pk")[:MAX_SAME_CODE]

    def closeness(product):
        # Compared here rather than by SQL: SQLite's case folding stops at ASCII ("é" is not "É").
        return 0 if product.ean13 == code else 1 if product.reference.casefold() == code.casefold() else 2

    ranked = sorted(candidates, key=closeness)
    if not ranked or (len(ranked) > 1 and closeness(ranked[0]) == closeness(ranked[1]) == 2):
        return None
    return ranked[0]


def unit_price_for(product: Product, *, customer_category: str, quantity=1, on_date=None) -> Decimal:
    """The tax-excluded unit price for a customer category and a quantity: the best applicable
    quantity break of an active price list of that category, else the product's own price."""
    on_date = on_date or timezone.localdate()
    quantity = money.quantity(quantity)
    items = (
        PriceListItem.objects.filter(
            product=product,
            price_list__customer_category=customer_category,
            price_list__is_active=True,
            min_quantity__lte=quantity,
        )
        .filter(Q(price_list__valid_from__isnull=True) | Q(price_list__valid_from__lte=on_date))
        .filter(Q(price_list__valid_until__isnull=True) | Q(price_list__valid_until__gte=on_date))
        .order_by("-min_quantity")
    )
    candidates = [_price_of(item, product) for item in items]
    return min(candidates) if candidates else product.sale_price_excl_tax


def _price_of(item: PriceListItem, product: Product) -> Decimal:
    if item.unit_price_excl_tax is not None:
        return item.unit_price_excl_tax
    return money.unit_price(product.sale_price_excl_tax * (1 - item.discount_percent / money.HUNDRED))
