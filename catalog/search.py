from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lmb.lists import search
from lmb.search import SearchHit, SearchProvider

from . import queries


class ProductSearch(SearchProvider):
    """A scanned EAN-13 or a typed reference opens the product."""

    title = _("Produits")
    permission = "catalog.view_product"
    order = 10

    def exact(self, code):
        product = queries.find_by_code(code)
        return reverse("catalog:product_detail", args=[product.pk]) if product else None

    def results(self, text, limit):
        matches = search(queries.products(), text, ("reference", "designation", "ean13")).order_by("reference")
        return [
            SearchHit(f"{p.reference} — {p.designation}", reverse("catalog:product_detail", args=[p.pk]), p.ean13 or "")
            for p in matches[:limit]
        ]
