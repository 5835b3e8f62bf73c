"""Read paths of the catalogue shared by screens, API and other apps."""

from decimal import Decimal

from django.db.models import Case, Q, When
from django.utils import timezone

from lmb import money

from .models import Category, PriceListItem, Product


def products():
    return Product.objects.select_related("category", "vat_rate")


def in_category(queryset, category: Category):
    """Products of the category and of all its sub-categories."""
    return queryset.filter(category__path__startswith=category.path)


def find_by_code(code: str) -> Product | None:
    """The product whose EAN-13 or reference is exactly ``code`` (what a scanner types)."""
    code = (code or "").strip()
    if not code:
        return None
    # A scanned EAN wins over a reference that happens to spell the same digits.
    matches = products().filter(Q(ean13=code) | Q(reference__iexact=code))
    return matches.annotate(by_ean=Case(When(ean13=code, then=0), default=1)).order_by("by_ean", "pk").first()


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
