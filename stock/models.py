"""Stock: warehouses and locations, the immutable ledger of moves, the level cache, reservations,
per-warehouse settings (default location, min/max), inventories and label sheets."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Product
from lmb.fields import DecimalField
from lmb.formats import decimal_fr, unit_price_fr

QUANTITY = {"max_digits": 14, "decimal_places": 3}
UNIT_COST = {"max_digits": 16, "decimal_places": 6}


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    address = models.TextField(_("adresse"), blank=True)
    is_default = models.BooleanField(_("dépôt par défaut"), default=False)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("dépôt")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="stock_single_default_warehouse")
        ]

    def __str__(self):
        return self.name


class Location(models.Model):
    """A place in a warehouse: aisle / shelf / bin, with a code printed on the shelf ("A-03-2")."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="locations", verbose_name=_("dépôt"))
    code = models.CharField(_("code"), max_length=30)
    aisle = models.CharField(_("allée"), max_length=20, blank=True)
    shelf = models.CharField(_("étagère"), max_length=20, blank=True)
    bin = models.CharField(_("case"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("emplacement")
        ordering = ["warehouse", "code"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "code"], name="stock_location_unique_code")]

    def __str__(self):
        return f"{self.warehouse.code} · {self.code}"


class ProductStockSetting(models.Model):
    """For one product in one warehouse: where it is shelved and the thresholds of replenishment."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_settings", verbose_name=_("produit"))
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="+", verbose_name=_("dépôt"))
    location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("emplacement par défaut")
    )
    min_quantity = DecimalField(_("stock minimum"), **QUANTITY, default=0, validators=[MinValueValidator(0)])
    max_quantity = DecimalField(_("stock maximum"), **QUANTITY, default=0, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("paramètre de stock")
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="stock_setting_unique_product_warehouse"),
            models.CheckConstraint(condition=Q(max_quantity__gte=F("min_quantity")), name="stock_setting_max_above_min"),
        ]

    def __str__(self):
        return f"{self.product.reference} @ {self.warehouse.code}"

    def clean(self):
        if self.max_quantity < self.min_quantity:
            raise ValidationError({"max_quantity": _("Le stock maximum doit être au moins égal au minimum.")})
        if self.location_id and self.warehouse_id and self.location.warehouse_id != self.warehouse_id:
            raise ValidationError({"location": _("Cet emplacement est dans un autre dépôt.")})


class StockMove(models.Model):
    """One line of the ledger. Written once, never changed nor deleted (refused here and, on
    PostgreSQL, by a trigger); a mistake is corrected by another move.

    ``quantity`` is signed: positive in, negative out. ``unit_cost`` values the move (purchase
    cost for a reception, the weighted average cost of the moment for everything else);
    ``product_quantity_after`` and ``average_cost_after`` are the product's stock (all
    warehouses) and weighted average cost right after the move, so the stock value at any date is
    read from the last move of each product before that date.
    """

    class Kind(models.TextChoices):
        RECEPTION = "reception", _("Réception fournisseur")
        DELIVERY = "delivery", _("Livraison client")
        CUSTOMER_RETURN = "customer_return", _("Retour client")
        EXIT = "exit", _("Sortie de stock")
        TRANSFER_OUT = "transfer_out", _("Transfert sortant")
        TRANSFER_IN = "transfer_in", _("Transfert entrant")
        ADJUSTMENT = "adjustment", _("Ajustement d'inventaire")

    class ExitReason(models.TextChoices):
        BREAKAGE = "breakage", _("Casse")
        LOSS = "loss", _("Perte ou vol")
        SAMPLE = "sample", _("Échantillon")
        OWN_USE = "own_use", _("Usage interne")
        OTHER = "other", _("Autre")

    # Few indexes: every move updates them, and the ledger is the hot path. (product, id) serves
    # the history, the checks and the list sorted by product (PostgreSQL walks the products by
    # reference and reads each one's moves); (created_at, id) the list sorted by date and the
    # stock at a date, alone or after a kind or a warehouse chosen in the list's filters; the
    # trigram index on the piece number (migration 0003) the list's search. The foreign keys need
    # no index of their own.
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="stock_moves", verbose_name=_("produit"), db_index=False
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="moves", verbose_name=_("dépôt"), db_index=False
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("emplacement"),
        db_index=False,
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    quantity = DecimalField(_("quantité"), **QUANTITY)
    unit_cost = DecimalField(_("coût unitaire"), **UNIT_COST)
    value = DecimalField(_("valeur"), max_digits=16, decimal_places=2)
    product_quantity_after = DecimalField(_("stock du produit après"), **QUANTITY)
    average_cost_after = DecimalField(_("PMP après"), **UNIT_COST)
    reason = models.CharField(_("motif"), max_length=20, choices=ExitReason.choices, blank=True)
    note = models.CharField(_("commentaire"), max_length=255, blank=True)
    reference = models.CharField(_("pièce"), max_length=50, blank=True, help_text=_("Numéro du document d'origine."))
    source_type = models.CharField(max_length=50, blank=True, help_text="e.g. purchasing.reception, sales.deliverynote")
    source_id = models.BigIntegerField(null=True, blank=True)
    transfer_pair = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("mouvement lié")
    )
    created_at = models.DateTimeField(_("date"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
        db_index=False,
    )

    class Meta:
        verbose_name = _("mouvement de stock")
        verbose_name_plural = _("mouvements de stock")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["product", "id"], name="stock_move_product_idx"),
            models.Index(fields=["created_at", "id"], name="stock_move_date_idx"),
            models.Index(fields=["kind", "created_at", "id"], name="stock_move_kind_date_id_idx"),
            models.Index(fields=["warehouse", "created_at", "id"], name="stock_move_warehouse_date_idx"),
            models.Index(fields=["source_type", "source_id"], name="stock_move_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stock_move_quantity_not_zero"),
            models.CheckConstraint(
                condition=Q(kind__in=["reception", "customer_return", "transfer_in"], quantity__gt=0)
                | Q(kind__in=["delivery", "exit", "transfer_out"], quantity__lt=0)
                | Q(kind="adjustment"),
                name="stock_move_sign_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {decimal_fr(self.quantity)} {self.product.reference}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError(_("Un mouvement de stock ne se modifie pas : corrigez-le par un autre mouvement."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Un mouvement de stock ne se supprime pas : corrigez-le par un autre mouvement."))


class StockLevel(models.Model):
    """Cache of the ledger per product and warehouse, updated in the transaction of each move
    under a row lock. ``manage.py check_stock_levels`` recomputes it from the ledger."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_levels", verbose_name=_("produit"))
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="levels", verbose_name=_("dépôt"))
    on_hand = DecimalField(_("stock physique"), **QUANTITY, default=0)
    reserved = DecimalField(_("réservé"), **QUANTITY, default=0)

    class Meta:
        verbose_name = _("niveau de stock")
        constraints = [models.UniqueConstraint(fields=["product", "warehouse"], name="stock_level_unique_product_warehouse")]
        indexes = [models.Index(fields=["warehouse", "product"], name="stock_level_warehouse_idx")]

    def __str__(self):
        return f"{self.product.reference} @ {self.warehouse.code}: {decimal_fr(self.on_hand)}"

    @property
    def available(self):
        return self.on_hand - self.reserved


class ProductValuation(models.Model):
    """The product's stock in all warehouses and its weighted average cost (PMP). Its row lock
    serialises every move of the product, so the PMP is computed on the true quantity."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, primary_key=True, related_name="valuation")
    quantity = DecimalField(_("stock total"), **QUANTITY, default=0)
    average_cost = DecimalField(_("PMP"), **UNIT_COST, default=0)

    class Meta:
        verbose_name = _("valorisation")

    def __str__(self):
        return f"{self.product_id}: {decimal_fr(self.quantity)} × {unit_price_fr(self.average_cost)}"


class Reservation(models.Model):
    """Stock promised to a document (a confirmed customer order): lowers "available", not "on hand"."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    quantity = DecimalField(_("quantité réservée"), **QUANTITY, validators=[MinValueValidator(0)])
    source_type = models.CharField(max_length=50)
    source_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("réservation")
        constraints = [
            models.UniqueConstraint(fields=["source_type", "source_id", "product", "warehouse"], name="stock_reservation_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_reservation_not_negative"),
        ]

    def __str__(self):
        return f"{self.source_type}#{self.source_id}: {decimal_fr(self.quantity)} {self.product_id}"


class Inventory(models.Model):
    """A count of a warehouse (all of it, a category or a location): expected quantities frozen
    at opening, counted by scanning, validated into adjustment moves in one transaction."""

    class Status(models.TextChoices):
        COUNTING = "counting", _("Comptage en cours")
        VALIDATED = "validated", _("Validé")
        CANCELLED = "cancelled", _("Annulé")

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="inventories", verbose_name=_("dépôt"))
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("catégorie")
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("emplacement")
    )
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.COUNTING)
    reference = models.CharField(_("numéro"), max_length=30, unique=True)
    note = models.CharField(_("commentaire"), max_length=255, blank=True)
    opened_at = models.DateTimeField(_("ouvert le"), auto_now_add=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    validated_at = models.DateTimeField(_("validé le"), null=True, blank=True)
    validated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("inventaire")
        ordering = ["-opened_at"]

    def __str__(self):
        return self.reference

    @property
    def scope_display(self):
        if self.location_id:
            return str(self.location)
        if self.category_id:
            return self.category.full_name
        return _("tout le dépôt")


class InventoryLine(models.Model):
    inventory = models.ForeignKey(Inventory, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("produit"))
    expected_quantity = DecimalField(_("stock attendu"), **QUANTITY)
    counted_quantity = DecimalField(_("compté"), **QUANTITY, null=True, blank=True)
    adjustment = models.OneToOneField(StockMove, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("ligne d'inventaire")
        ordering = ["product__reference"]
        constraints = [models.UniqueConstraint(fields=["inventory", "product"], name="stock_inventory_line_unique")]

    def __str__(self):
        return f"{self.inventory} {self.product_id}"

    @property
    def difference(self) -> Decimal | None:
        """Counted − expected; None until the product is counted."""
        return None if self.counted_quantity is None else self.counted_quantity - self.expected_quantity
