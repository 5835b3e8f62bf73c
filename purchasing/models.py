"""Purchasing: supplier prices, supplier orders, receptions into stock, supplier invoices."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalog import units
from catalog.models import Product
from crm.models import ThirdParty
from lmb import money
from lmb.fields import DecimalField
from lmb.formats import decimal_fr
from stock.models import Location, StockMove, Warehouse

QUANTITY = {"max_digits": 14, "decimal_places": 3}
UNIT_PRICE = {"max_digits": 16, "decimal_places": 6}
AMOUNT = {"max_digits": 14, "decimal_places": 2, "default": 0}
RATE = {"max_digits": 6, "decimal_places": 3}


class SupplierPrice(models.Model):
    """What a supplier charges for a product, under which reference, from which quantity, with
    which lead time; one supplier per product is the preferred one (for replenishment)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="supplier_prices", verbose_name=_("produit"))
    supplier = models.ForeignKey(
        ThirdParty,
        on_delete=models.PROTECT,
        related_name="supplier_prices",
        verbose_name=_("fournisseur"),
        limit_choices_to={"is_supplier": True},
    )
    supplier_reference = models.CharField(_("référence fournisseur"), max_length=50, blank=True)
    purchase_price = DecimalField(_("prix d'achat HT"), **UNIT_PRICE, validators=[MinValueValidator(0)])
    min_quantity = DecimalField(_("quantité minimale"), **QUANTITY, default=1, validators=[MinValueValidator(0)])
    lead_time_days = models.PositiveSmallIntegerField(_("délai (jours)"), default=0)
    is_preferred = models.BooleanField(_("fournisseur préféré"), default=False)

    class Meta:
        verbose_name = _("prix fournisseur")
        verbose_name_plural = _("prix fournisseurs")
        ordering = ["-is_preferred", "purchase_price"]
        constraints = [
            models.UniqueConstraint(fields=["product", "supplier"], name="purchasing_supplier_price_unique"),
            models.UniqueConstraint(fields=["product"], condition=Q(is_preferred=True), name="purchasing_one_preferred_supplier"),
        ]

    def __str__(self):
        return f"{self.product.reference} — {self.supplier.name}"

    def clean(self):
        if self.supplier_id and not self.supplier.is_supplier:
            raise ValidationError({"supplier": _("Ce tiers n'est pas un fournisseur.")})


class Document(models.Model):
    """What supplier orders and invoices share: a supplier, lines, and totals per VAT rate."""

    supplier = models.ForeignKey(ThirdParty, on_delete=models.PROTECT, related_name="+", verbose_name=_("fournisseur"))
    total_excl_tax = DecimalField(_("total HT"), **AMOUNT)
    total_vat = DecimalField(_("total TVA"), **AMOUNT)
    total_incl_tax = DecimalField(_("total TTC"), **AMOUNT)
    vat_breakdown = models.JSONField(_("TVA par taux"), default=list, blank=True, help_text="[{rate, base, vat}] as strings")
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        abstract = True

    def clean(self):
        if self.supplier_id and not self.supplier.is_supplier:
            raise ValidationError({"supplier": _("Ce tiers n'est pas un fournisseur.")})


class Line(models.Model):
    """A priced line: net = quantity × unit price × (1 − discount), rounded to the cent."""

    position = models.PositiveIntegerField(_("ordre"), default=0)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("produit")
    )
    description = models.CharField(_("désignation"), max_length=255)
    quantity = DecimalField(_("quantité"), **QUANTITY, validators=[MinValueValidator(0)])
    unit_price = DecimalField(_("prix unitaire HT"), **UNIT_PRICE, validators=[MinValueValidator(0)])
    discount_percent = DecimalField(
        _("remise (%)"), max_digits=5, decimal_places=2, default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    vat_rate = DecimalField(_("taux de TVA (%)"), **RATE, validators=[MinValueValidator(0)])
    net_amount = DecimalField(_("montant HT"), **AMOUNT)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    @property
    def net_unit_price(self):
        return money.unit_price(self.unit_price * (1 - self.discount_percent / 100))

    def clean(self):
        """A product's line takes the quantities its unit allows (``catalog.units``)."""
        if self.product_id is not None and (message := units.quantity_error(self.quantity, self.product.unit)):
            raise ValidationError({"quantity": message})


class SupplierOrder(Document):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SENT = "sent", _("Envoyée")
        PARTIALLY_RECEIVED = "partially_received", _("Reçue en partie")
        RECEIVED = "received", _("Reçue")
        CANCELLED = "cancelled", _("Annulée")

    OPEN_STATUSES = (Status.DRAFT, Status.SENT, Status.PARTIALLY_RECEIVED)

    number = models.CharField(_("numéro"), max_length=30, unique=True, null=True, blank=True)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("dépôt de livraison"))
    expected_date = models.DateField(_("livraison prévue le"), null=True, blank=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("commande fournisseur")
        verbose_name_plural = _("commandes fournisseurs")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="purch_order_status_idx"),
            models.Index(fields=["supplier", "created_at"], name="purch_order_supplier_idx"),
        ]

    def __str__(self):
        return self.number or _("Brouillon n° %(pk)s") % {"pk": self.pk}

    def get_absolute_url(self):
        return reverse("purchasing:order_detail", args=[self.pk])


class SupplierOrderLine(Line):
    order = models.ForeignKey(SupplierOrder, on_delete=models.CASCADE, related_name="lines")
    supplier_reference = models.CharField(_("réf. fournisseur"), max_length=50, blank=True)
    received_quantity = DecimalField(
        _("quantité reçue"),
        **QUANTITY,
        default=0,
        help_text=_("Somme des réceptions validées ; mise à jour dans la transaction de chaque réception."),
    )

    class Meta(Line.Meta):
        verbose_name = _("ligne de commande fournisseur")

    def __str__(self):
        return f"{self.order} — {self.description}"

    @property
    def remaining_quantity(self):
        return max(self.quantity - self.received_quantity, 0)


class Reception(models.Model):
    """Goods received against a supplier order (bon de réception). Draft while scanning; its
    validation writes the reception moves and updates the average cost, in one transaction."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("En cours")
        VALIDATED = "validated", _("Validée")
        CANCELLED = "cancelled", _("Annulée")

    number = models.CharField(_("numéro"), max_length=30, unique=True, null=True, blank=True)
    order = models.ForeignKey(SupplierOrder, on_delete=models.PROTECT, related_name="receptions", verbose_name=_("commande"))
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("dépôt"))
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    delivery_note_reference = models.CharField(_("n° du bon de livraison du fournisseur"), max_length=50, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("commencée le"), auto_now_add=True)
    validated_at = models.DateTimeField(_("validée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("réception")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="draft"), name="purchasing_one_draft_reception_per_order"
            )
        ]

    def __str__(self):
        return self.number or _("Réception en cours n° %(pk)s") % {"pk": self.pk}

    def get_absolute_url(self):
        return reverse("purchasing:reception_detail", args=[self.pk])


class ReceptionLine(models.Model):
    reception = models.ForeignKey(Reception, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(SupplierOrderLine, on_delete=models.PROTECT, related_name="reception_lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("produit"))
    quantity = DecimalField(_("quantité reçue"), **QUANTITY, default=0, validators=[MinValueValidator(0)])
    unit_cost = DecimalField(_("coût unitaire HT"), **UNIT_PRICE)
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("emplacement")
    )
    stock_move = models.OneToOneField(StockMove, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("ligne de réception")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["reception", "order_line"], name="purchasing_reception_line_unique")]

    def __str__(self):
        return f"{self.reception} — {self.product_id} × {decimal_fr(self.quantity)}"


class SupplierInvoice(Document):
    """A supplier's invoice, recorded against the receptions it bills; differences with what was
    received are shown as warnings (not refused: the accountant decides)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        RECORDED = "recorded", _("Enregistrée")

    number = models.CharField(_("n° de facture du fournisseur"), max_length=50)
    invoice_date = models.DateField(_("date de facture"))
    due_date = models.DateField(_("échéance"))
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    receptions = models.ManyToManyField(Reception, related_name="invoices", blank=True, verbose_name=_("réceptions"))
    recorded_at = models.DateTimeField(_("enregistrée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("facture fournisseur")
        verbose_name_plural = _("factures fournisseurs")
        ordering = ["-invoice_date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["supplier", "number"], name="purchasing_supplier_invoice_unique_number")]

    def __str__(self):
        return f"{self.supplier.name} — {self.number}"

    def get_absolute_url(self):
        return reverse("purchasing:invoice_detail", args=[self.pk])

    def clean(self):
        super().clean()
        if self.invoice_date and self.due_date and self.due_date < self.invoice_date:
            raise ValidationError({"due_date": _("L'échéance précède la date de facture.")})


class SupplierInvoiceLine(Line):
    invoice = models.ForeignKey(SupplierInvoice, on_delete=models.CASCADE, related_name="lines")

    class Meta(Line.Meta):
        verbose_name = _("ligne de facture fournisseur")

    def __str__(self):
        return f"{self.invoice} — {self.description}"
