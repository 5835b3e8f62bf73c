"""The catalogue: VAT rates, categories, products and price lists.

Variants (sizes, colours…): **one LMB product per variant**. What is stocked, scanned, priced and
invoiced is the variant — a T-shirt in size M has its own reference, EAN-13, stock and price — so
each variant is a full ``Product``. A variant may name its model (``variant_of``: the T-shirt as
a family, itself a product, usually not sold) and says what sets it apart (``variant_attributes``:
« Taille : M, Couleur : Bleu »). One level only: a model is not itself a variant. Nothing else
depends on the model: prices, stock and documents read the variant alone. A web shop's
combinations (PrestaShop ``combinations``) are bound one to one to such variants by the
connector.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from crm.models import CustomerCategory
from lmb.countries import EU_MEMBER_STATES, country_name
from lmb.fields import DecimalField, Ean13Field
from lmb.formats import decimal_fr


def territory_choices():
    """France's own territories, then the other EU member states (their rates serve the OSS)."""
    eu = sorted(((code, country_name(code)) for code in EU_MEMBER_STATES if code != "FR"), key=lambda item: item[1])
    return [*VatRate.Territory.choices, *eu]


class VatRate(models.Model):
    """A dated VAT rate of a territory (fr-rules VAT-01 to VAT-05). Products carry their
    metropolitan rate. ``category`` is the rate's legal name in its own territory; it does NOT
    map a metropolitan rate to the rate of another territory (Corsica and the overseas
    departments have rates of their own, not one per metropolitan rate): the sale decides that."""

    class Territory(models.TextChoices):
        METROPOLITAN = "FR", _("France métropolitaine")
        CORSICA = "FR-COR", _("Corse")
        OVERSEAS = "FR-DOM", _("Guadeloupe, Martinique, La Réunion")

    class Category(models.TextChoices):
        STANDARD = "standard", _("Taux normal")
        INTERMEDIATE = "intermediate", _("Taux intermédiaire")
        REDUCED = "reduced", _("Taux réduit")
        SUPER_REDUCED = "super_reduced", _("Taux particulier")
        SPECIAL = "special", _("Taux spécifique")

    code = models.CharField(_("code"), max_length=20, unique=True)
    label = models.CharField(_("libellé"), max_length=100)
    territory = models.CharField(_("territoire"), max_length=10, choices=territory_choices, default=Territory.METROPOLITAN)
    category = models.CharField(_("catégorie"), max_length=20, choices=Category.choices)
    rate = DecimalField(_("taux (%)"), max_digits=6, decimal_places=3, validators=[MinValueValidator(0)])
    valid_from = models.DateField(_("en vigueur depuis"))
    valid_until = models.DateField(_("en vigueur jusqu'au"), null=True, blank=True)

    class Meta:
        verbose_name = _("taux de TVA")
        verbose_name_plural = _("taux de TVA")
        ordering = ["territory", "-rate"]

    def __str__(self):
        return self.label

    def is_valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def clean(self):
        if self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("La fin de validité précède son début.")})


class Category(models.Model):
    """A node of the category tree. ``path`` ("000003/000012/") makes "this category and every
    sub-category" one indexed prefix query; ``full_name`` is the breadcrumb shown in lists."""

    name = models.CharField(_("nom"), max_length=100)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("catégorie parente")
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    full_name = models.CharField(_("chemin"), max_length=500, editable=False)
    # The path's names (unaccented, upper-cased) in hexadecimal, each ended by "00": ordering by
    # it lists each category right under its parent, A to Z, whatever the database's collation
    # (hex digits sort the same everywhere, and "00" sorts before any character of a name).
    sort_key = models.CharField(max_length=500, editable=False, default="", db_index=True)

    class Meta:
        verbose_name = _("catégorie")
        ordering = ["sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="catalog_category_unique_name"),
            # NULL parents are all different to SQL: top-level names need their own constraint.
            models.UniqueConstraint(fields=["name"], condition=Q(parent__isnull=True), name="catalog_category_unique_root_name"),
        ]

    def __str__(self):
        return self.full_name or self.name


class Unit(models.TextChoices):
    """Units as UN/ECE Recommendation 20 codes, which e-invoices (Factur-X) require."""

    PIECE = "C62", _("pièce")
    KILOGRAM = "KGM", _("kg")
    GRAM = "GRM", _("g")
    LITRE = "LTR", _("litre")
    METRE = "MTR", _("mètre")
    SQUARE_METRE = "MTK", _("m²")
    HOUR = "HUR", _("heure")
    DAY = "DAY", _("jour")
    SET = "SET", _("lot")


class Product(models.Model):
    class Kind(models.TextChoices):
        GOODS = "goods", _("Bien")
        SERVICE = "service", _("Service")

    reference = models.CharField(_("référence"), max_length=40, unique=True)
    designation = models.CharField(_("désignation"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="products", verbose_name=_("catégorie")
    )
    # The category's sort_key, copied by catalog.services whenever the product's category or the
    # category's place in the tree changes: the list sorted by category walks one index instead
    # of sorting every product across the join (page 500 of 100,000 products: 120 ms).
    category_sort_key = models.CharField(max_length=500, editable=False, default="", db_default="")
    kind = models.CharField(_("nature"), max_length=10, choices=Kind.choices, default=Kind.GOODS)
    unit = models.CharField(_("unité"), max_length=3, choices=Unit.choices, default=Unit.PIECE)
    vat_rate = models.ForeignKey(VatRate, on_delete=models.PROTECT, related_name="+", verbose_name=_("taux de TVA"))
    purchase_price = DecimalField(
        _("prix d'achat HT"), max_digits=14, decimal_places=6, default=0, validators=[MinValueValidator(0)]
    )
    price_includes_tax = models.BooleanField(
        _("prix saisi TTC"), default=False, help_text=_("Cochez si le prix de vente est saisi toutes taxes comprises.")
    )
    sale_price = DecimalField(
        _("prix de vente"),
        max_digits=14,
        decimal_places=6,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("HT ou TTC selon la case « prix saisi TTC »."),
    )
    # Both forms of the price, derived from the entered one by catalog.services (never typed).
    sale_price_excl_tax = DecimalField(_("prix de vente HT"), max_digits=14, decimal_places=6, default=0, editable=False)
    sale_price_incl_tax = DecimalField(_("prix de vente TTC"), max_digits=14, decimal_places=6, default=0, editable=False)
    eco_participation = DecimalField(
        _("éco-participation HT"),
        max_digits=10,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("Montant unitaire HT, facturé à part et jamais remisé."),
    )
    weight = DecimalField(
        _("poids (kg)"), max_digits=10, decimal_places=3, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    length = DecimalField(
        _("longueur (cm)"), max_digits=8, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    width = DecimalField(
        _("largeur (cm)"), max_digits=8, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    height = DecimalField(
        _("hauteur (cm)"), max_digits=8, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    units_per_pack = models.PositiveIntegerField(_("unités par colis"), null=True, blank=True, validators=[MinValueValidator(1)])
    units_per_pallet = models.PositiveIntegerField(
        _("unités par palette"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    ean13 = Ean13Field(_("code EAN-13"), unique=True, null=True)
    # A variant (size, colour…) names its model and what sets it apart (see the module docstring).
    variant_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="variants",
        verbose_name=_("déclinaison du modèle"),
        help_text=_("Référence du produit modèle dont celui-ci est une déclinaison (taille, couleur…)."),
    )
    variant_attributes = models.CharField(
        _("caractéristiques de la déclinaison"),
        max_length=255,
        blank=True,
        help_text=_("Par exemple « Taille : M, Couleur : Bleu »."),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("produit")
        ordering = ["reference"]
        indexes = [
            models.Index(fields=["designation"], name="catalog_prod_designation_idx"),
            models.Index(fields=["sale_price_excl_tax"], name="catalog_prod_price_idx"),
            models.Index(fields=["category", "reference"], name="catalog_prod_cat_ref_idx"),
            models.Index(fields=["category_sort_key", "reference", "id"], name="catalog_prod_cat_sort_idx"),
            models.Index(fields=["is_active", "reference"], name="catalog_prod_active_ref_idx"),
            models.Index(fields=["updated_at"], name="catalog_prod_updated_idx"),
        ]
        constraints = [
            # "bol-01" and "BOL-01" are the same product to a shopkeeper (and to the scanner lookup).
            models.UniqueConstraint(Upper("reference"), name="catalog_product_reference_ci_unique"),
        ]

    def __str__(self):
        return f"{self.reference} — {self.designation}"

    def save(self, *args, **kwargs):
        # An empty EAN is stored as NULL so that the unique constraint allows many products without one.
        if not self.ean13:
            self.ean13 = None
        super().save(*args, **kwargs)

    # Set on the instance by the importer, which looks up the references of a whole batch at once
    # (catalog.importers): the per-row look-up below would cost one query per imported row.
    reference_checked_by_batch = False

    def clean(self):
        if (
            self.reference
            and not self.reference_checked_by_batch
            and Product.objects.filter(reference__iexact=self.reference).exclude(pk=self.pk).exists()
        ):
            raise ValidationError(
                {
                    "reference": _("Un autre produit porte déjà la référence « %(reference)s » (majuscules ou minuscules).")
                    % {"reference": self.reference}
                }
            )


class PriceList(models.Model):
    """Prices for a customer category, with quantity breaks (e.g. resellers: −30 % from 10 units)."""

    name = models.CharField(_("nom"), max_length=100, unique=True)
    customer_category = models.CharField(_("catégorie de client"), max_length=20, choices=CustomerCategory.choices)
    is_active = models.BooleanField(_("actif"), default=True)
    valid_from = models.DateField(_("valable à partir du"), null=True, blank=True)
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)

    class Meta:
        verbose_name = _("tarif")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def is_valid_on(self, day) -> bool:
        return (
            self.is_active
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_until is None or day <= self.valid_until)
        )

    def clean(self):
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("La fin de validité précède son début.")})


class PriceListItem(models.Model):
    """From ``min_quantity`` units, either a fixed unit price (HT) or a discount on the list price."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items", verbose_name=_("tarif"))
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="price_list_items", verbose_name=_("produit"))
    min_quantity = DecimalField(
        _("à partir de (quantité)"), max_digits=12, decimal_places=3, default=1, validators=[MinValueValidator(0)]
    )
    unit_price_excl_tax = DecimalField(
        _("prix unitaire HT"), max_digits=14, decimal_places=6, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    discount_percent = DecimalField(
        _("remise (%)"), max_digits=5, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("ligne de tarif")
        ordering = ["product__reference", "min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product", "min_quantity"], name="catalog_pricelistitem_unique_break"),
            models.CheckConstraint(
                condition=Q(unit_price_excl_tax__isnull=False, discount_percent__isnull=True)
                | Q(unit_price_excl_tax__isnull=True, discount_percent__isnull=False),
                name="catalog_pricelistitem_price_or_discount",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__isnull=True) | Q(discount_percent__lte=100),
                name="catalog_pricelistitem_discount_max_100",
            ),
        ]

    def __str__(self):
        return f"{self.price_list} — {self.product.reference} ≥ {decimal_fr(self.min_quantity)}"

    def clean(self):
        if (self.unit_price_excl_tax is None) == (self.discount_percent is None):
            raise ValidationError({"unit_price_excl_tax": _("Indiquez soit un prix unitaire HT, soit une remise, pas les deux.")})
        if self.discount_percent is not None and self.discount_percent > 100:
            raise ValidationError({"discount_percent": _("Une remise ne dépasse pas 100 %.")})
