"""Sales: channels, quotes, orders, delivery notes, invoices (and deposit invoices), credit notes,
payments and their allocation, vouchers, and the hash chain of issued documents.

Amounts are stored as computed by ``sales.totals`` when a document is saved through the
services: lines, the VAT breakdown per category and rate, and the totals, adding up to the cent.
An issued invoice or credit note never changes (refused here and, on PostgreSQL, by triggers).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalog import units
from catalog.models import Product, Unit
from crm.models import ThirdParty
from lmb.fields import DecimalField
from lmb.formats import decimal_fr, money_fr
from lmb.models import InvoicingPolicy, PaymentTerms
from stock.models import Warehouse

QUANTITY = {"max_digits": 14, "decimal_places": 3}
UNIT_PRICE = {"max_digits": 16, "decimal_places": 6}
AMOUNT = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 6, "decimal_places": 3}


class Channel(models.Model):
    """Where a sale comes from: the counter, the phone, a web shop, B2B. Every document records it."""

    class Kind(models.TextChoices):
        COUNTER = "counter", _("Comptoir")
        PHONE = "phone", _("Téléphone")
        WEB = "web", _("Boutique en ligne")
        B2B = "b2b", _("Vente aux professionnels")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    prices_include_tax = models.BooleanField(
        _("prix TTC"), default=True, help_text=_("Les prix des documents de ce canal sont saisis TTC (vente aux particuliers).")
    )
    warehouse = models.ForeignKey(
        Warehouse,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dépôt d'expédition"),
        help_text=_("Vide : le dépôt par défaut."),
    )
    default_customer = models.ForeignKey(
        ThirdParty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("client par défaut"),
        help_text=_("Le client de passage proposé au comptoir."),
    )
    invoicing_policy = models.CharField(
        _("facturation"),
        max_length=20,
        choices=InvoicingPolicy.choices,
        default=InvoicingPolicy.AT_SHIPMENT,
        help_text=_("Quand les bons de livraison expédiés sont facturés ; un client peut avoir sa propre règle."),
    )
    email_invoices = models.BooleanField(
        _("envoyer les factures par e-mail"),
        default=False,
        help_text=_("Chaque facture émise est envoyée au client avec son PDF Factur-X."),
    )
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("canal de vente")
        verbose_name_plural = _("canaux de vente")
        ordering = ["name"]
        # Sales staff change channels' documents, not their settings: only administrators do.
        permissions = [("configure_channel", _("Peut régler les canaux de vente"))]

    def __str__(self):
        return self.name


class VatTreatment(models.TextChoices):
    """The VAT treatment of a sale (fr-rules §2.1), decided once on the document."""

    FRANCE = "france", _("France")
    EU_B2B = "eu_b2b", _("Intracommunautaire (entreprise)")
    EU_B2C = "eu_b2c", _("Particulier UE, TVA française")
    EU_OSS = "eu_oss", _("Particulier UE, TVA du pays (OSS)")
    EXPORT = "export", _("Export hors UE")
    OVERSEAS = "overseas", _("Outre-mer (DOM)")
    FRANCHISE = "franchise", _("Franchise en base")


class VatCategory(models.TextChoices):
    """EN 16931 VAT category codes (UNTDID 5305) used on lines and in the breakdown."""

    STANDARD = "S", _("Taux normal ou réduit")
    ZERO = "Z", _("Taux zéro")
    EXEMPT = "E", _("Exonéré")
    REVERSE_CHARGE = "AE", _("Autoliquidation")
    INTRA_EU = "K", _("Livraison intracommunautaire")
    EXPORT = "G", _("Export hors UE")
    OUT_OF_SCOPE = "O", _("Hors champ")


class LegalMention(models.Model):
    """A legal text printed on documents, dated (the CGI becomes the CIBS: texts change)."""

    code = models.CharField(_("code"), max_length=50)
    text = models.TextField(_("texte"))
    valid_from = models.DateField(_("en vigueur depuis"))
    valid_until = models.DateField(_("jusqu'au"), null=True, blank=True)

    class Meta:
        verbose_name = _("mention légale")
        ordering = ["code", "-valid_from"]

    def __str__(self):
        return f"{self.code}: {self.text[:60]}"


class ExchangeRate(models.Model):
    """An ECB reference rate: 1 EUR = ``rate`` units of ``currency`` on ``day`` (fr-rules CUR-01)."""

    day = models.DateField(_("date"))
    currency = models.CharField(_("devise"), max_length=3)
    rate = DecimalField(_("cours (1 EUR =)"), max_digits=14, decimal_places=6, validators=[MinValueValidator(0)])
    source = models.CharField(_("source"), max_length=50, default="BCE")

    class Meta:
        verbose_name = _("cours de change")
        ordering = ["-day", "currency"]
        constraints = [models.UniqueConstraint(fields=["day", "currency"], name="sales_exchange_rate_unique_day")]

    def __str__(self):
        return f"{self.day:%d/%m/%Y} 1 EUR = {decimal_fr(self.rate)} {self.currency}"


def list_sort_indexes(prefix: str, date_field: str) -> list[models.Index]:
    """The b-tree indexes that serve each sort a document list offers (screen and API), so that
    PostgreSQL reads a page — page 1 or page 500 — from the index instead of sorting the table:
    by date, by creation, by customer name (then date) and by amount, each ending with the id
    the lists add to break ties (lmb.lists, lmb.api_access)."""
    return [
        models.Index(fields=[date_field, "id"], name=f"{prefix}_date_sort"),
        models.Index(fields=["created_at", "id"], name=f"{prefix}_created_sort"),
        models.Index(fields=["customer_name", date_field, "id"], name=f"{prefix}_customer_sort"),
        models.Index(fields=["total_incl_tax", "id"], name=f"{prefix}_total_sort"),
    ]


class Document(models.Model):
    """What every sales document carries: who, where, how VAT applies, and the computed totals.

    The customer's name, addresses and identifiers are copied when the document is created: a
    document shows them as they were, whatever happens to the third party afterwards."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+", verbose_name=_("canal"))
    customer = models.ForeignKey(ThirdParty, on_delete=models.PROTECT, related_name="+", verbose_name=_("client"))
    customer_name = models.CharField(_("nom du client"), max_length=200)
    customer_siren = models.CharField(_("SIREN du client"), max_length=9, blank=True)
    customer_vat_number = models.CharField(_("TVA du client"), max_length=20, blank=True)
    customer_is_business = models.BooleanField(_("client professionnel"), default=False)
    billing_address = models.JSONField(_("adresse de facturation"), default=dict, blank=True)
    delivery_address = models.JSONField(_("adresse de livraison"), default=dict, blank=True)
    customer_reference = models.CharField(_("référence de commande du client"), max_length=50, blank=True)
    vat_treatment = models.CharField(_("régime de TVA"), max_length=20, choices=VatTreatment.choices, default=VatTreatment.FRANCE)
    destination_country = models.CharField(_("pays de destination"), max_length=2, default="FR")
    prices_include_tax = models.BooleanField(_("prix saisis TTC"), default=False)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    exchange_rate = DecimalField(_("cours (1 EUR =)"), max_digits=14, decimal_places=6, null=True, blank=True)
    exchange_rate_date = models.DateField(_("date du cours"), null=True, blank=True)
    discount_percent = DecimalField(
        _("remise globale (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    payment_terms = models.CharField(
        _("conditions de paiement"), max_length=20, choices=PaymentTerms.choices, default=PaymentTerms.NET_30
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("délai (jours)"), null=True, blank=True, validators=[MaxValueValidator(60)]
    )
    # Totals (EN 16931 BT-106 to BT-112), written by the services from the lines.
    lines_total = DecimalField(_("total des lignes HT"), **AMOUNT, default=0)
    allowance_total = DecimalField(_("remise globale HT"), **AMOUNT, default=0)
    total_excl_tax = DecimalField(_("total HT"), **AMOUNT, default=0)
    total_vat = DecimalField(_("total TVA"), **AMOUNT, default=0)
    total_incl_tax = DecimalField(_("total TTC"), **AMOUNT, default=0)
    total_vat_eur = DecimalField(_("total TVA en euros"), **AMOUNT, null=True, blank=True)
    eco_participation_total = DecimalField(_("dont éco-participation TTC"), **AMOUNT, default=0)
    vat_breakdown = models.JSONField(_("TVA par taux"), default=list, blank=True)
    legal_mentions = models.JSONField(_("mentions légales"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.number or _("Brouillon n° %(pk)s") % {"pk": self.pk}


class DocumentLine(models.Model):
    """A line: a product, a free text, shipping, or the eco-participation of the line above.

    ``unit_price`` is entered tax-excluded or tax-included (the document's mode); the amounts
    (``net_amount`` tax-excluded, ``gross_amount`` tax-included) are computed by ``sales.totals``."""

    class Kind(models.TextChoices):
        PRODUCT = "product", _("Produit")
        TEXT = "text", _("Texte libre")
        SHIPPING = "shipping", _("Frais de port")
        ECO = "eco", _("Éco-participation")
        # Late-payment penalties and the EUR 40 recovery indemnity (PAY-05): outside the scope of VAT.
        PENALTY = "penalty", _("Pénalités de retard")
        INDEMNITY = "indemnity", _("Indemnité de recouvrement")

    position = models.PositiveIntegerField(_("ordre"), default=0)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.PRODUCT)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("produit")
    )
    description = models.CharField(_("désignation"), max_length=255)
    quantity = DecimalField(_("quantité"), **QUANTITY)
    unit = models.CharField(_("unité"), max_length=3, choices=Unit.choices, default=Unit.PIECE)
    unit_price = DecimalField(_("prix unitaire"), **UNIT_PRICE, validators=[MinValueValidator(0)])
    discount_percent = DecimalField(
        _("remise (%)"), max_digits=5, decimal_places=2, default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    vat_rate = DecimalField(_("taux de TVA (%)"), **RATE, validators=[MinValueValidator(0)])
    vat_category = models.CharField(
        _("catégorie de TVA"), max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_exemption_code = models.CharField(_("motif d'exonération"), max_length=30, blank=True)
    net_amount = DecimalField(_("montant HT"), **AMOUNT, default=0)
    gross_amount = DecimalField(_("montant TTC"), **AMOUNT, default=0)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    def __str__(self):
        return f"{self.description} × {decimal_fr(self.quantity)}"

    @property
    def is_goods(self):
        return self.kind == self.Kind.PRODUCT and self.product is not None and self.product.kind == Product.Kind.GOODS

    def clean(self):
        """A product's line takes the quantities its unit allows (``catalog.units``): run by the
        services' validation of every line (``lmb.services.validate``, ``documents.check_lines``)."""
        if self.product_id is not None and (message := units.quantity_error(self.quantity, self.unit)):
            raise ValidationError({"quantity": message})


# --- Quotes and orders -------------------------------------------------------------------------


class Quote(Document):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SENT = "sent", _("Envoyé")
        ACCEPTED = "accepted", _("Accepté")
        REFUSED = "refused", _("Refusé")
        EXPIRED = "expired", _("Expiré")

    number = models.CharField(_("numéro"), max_length=30, unique=True, null=True, blank=True)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    quote_date = models.DateField(_("date"), null=True, blank=True)
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)

    class Meta:
        verbose_name = _("devis")
        verbose_name_plural = _("devis")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="sales_quote_status_idx"),
            *list_sort_indexes("sales_quote", "quote_date"),
        ]

    def get_absolute_url(self):
        return reverse("sales:quote_detail", args=[self.pk])


class QuoteLine(DocumentLine):
    document = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    class Meta(DocumentLine.Meta):
        verbose_name = _("ligne de devis")


class Order(Document):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        CONFIRMED = "confirmed", _("Confirmée")
        PARTIALLY_DELIVERED = "partially_delivered", _("Livrée en partie")
        DELIVERED = "delivered", _("Livrée")
        CANCELLED = "cancelled", _("Annulée")

    OPEN_STATUSES = (Status.CONFIRMED, Status.PARTIALLY_DELIVERED)

    number = models.CharField(_("numéro"), max_length=30, unique=True, null=True, blank=True)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    order_date = models.DateField(_("date"), null=True, blank=True)
    quote = models.ForeignKey(
        Quote, on_delete=models.PROTECT, null=True, blank=True, related_name="orders", verbose_name=_("devis")
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("dépôt d'expédition"))
    # Chosen with the order (a web shop's checkout): its delivery notes start with it.
    carrier = models.CharField(_("transporteur"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("commande client")
        verbose_name_plural = _("commandes clients")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="sales_order_status_idx"),
            # The orders taken on a day or a month (the home dashboard, stats.dashboard) use the date sort's index.
            *list_sort_indexes("sales_order", "order_date"),
        ]

    def get_absolute_url(self):
        return reverse("sales:order_detail", args=[self.pk])


class OrderLine(DocumentLine):
    document = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # Caches of the quantities shipped and invoiced, updated in the transaction of each delivery
    # note or invoice issued (the documents are the truth).
    delivered_quantity = DecimalField(_("livré"), **QUANTITY, default=0)
    invoiced_quantity = DecimalField(_("facturé"), **QUANTITY, default=0)

    class Meta(DocumentLine.Meta):
        verbose_name = _("ligne de commande")

    @property
    def backorder_quantity(self):
        return max(self.quantity - self.delivered_quantity, 0)


# --- Delivery notes ----------------------------------------------------------------------------


class DeliveryNote(models.Model):
    """Goods shipped for an order (all or part); shipping writes the delivery moves."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("En préparation")
        SHIPPED = "shipped", _("Expédié")
        CANCELLED = "cancelled", _("Annulé")

    number = models.CharField(_("numéro"), max_length=30, unique=True, null=True, blank=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="delivery_notes", verbose_name=_("commande"))
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("dépôt"))
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    delivery_address = models.JSONField(_("adresse de livraison"), default=dict, blank=True)
    carrier = models.CharField(_("transporteur"), max_length=100, blank=True)
    tracking_number = models.CharField(_("n° de suivi"), max_length=100, blank=True)
    shipped_at = models.DateTimeField(_("expédié le"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("bon de livraison")
        verbose_name_plural = _("bons de livraison")
        ordering = ["-created_at", "-pk"]
        indexes = [  # the list's sorts (number has its unique index)
            models.Index(fields=["created_at", "id"], name="sales_delivery_created_sort"),
            models.Index(fields=["shipped_at", "id"], name="sales_delivery_shipped_sort"),
        ]

    def __str__(self):
        return self.number or _("BL en préparation n° %(pk)s") % {"pk": self.pk}

    def get_absolute_url(self):
        return reverse("sales:delivery_detail", args=[self.pk])


class DeliveryNoteLine(models.Model):
    delivery_note = models.ForeignKey(DeliveryNote, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="delivery_lines")
    quantity = DecimalField(_("quantité"), **QUANTITY, validators=[MinValueValidator(0)])
    invoiced_quantity = DecimalField(_("facturé"), **QUANTITY, default=0)
    stock_move = models.ForeignKey("stock.StockMove", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("ligne de bon de livraison")
        ordering = ["order_line__position", "pk"]
        constraints = [models.UniqueConstraint(fields=["delivery_note", "order_line"], name="sales_delivery_line_unique")]
        indexes = [
            # The « à facturer » list and the grouped runs read the lines still to invoice: a few
            # among every line ever shipped.
            models.Index(
                fields=["delivery_note"],
                name="sales_delivery_line_to_bill",
                condition=Q(invoiced_quantity__lt=models.F("quantity")),
            )
        ]

    def __str__(self):
        return f"{self.delivery_note} — {self.order_line.description} × {decimal_fr(self.quantity)}"


# --- Invoices and credit notes -----------------------------------------------------------------


class Invoice(Document):
    """An invoice (EN 16931 type 380) or a deposit invoice (386), in one continuous series.

    Issued, it is a legal document: number, date and a hash chained to the previous issued
    document, and it never changes again."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Facture")
        DEPOSIT = "deposit", _("Facture d'acompte")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        ISSUED = "issued", _("Émise")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.INVOICE)
    number = models.CharField(_("numéro"), max_length=30, unique=True, null=True, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    invoice_date = models.DateField(_("date de facture"), null=True, blank=True)
    delivery_date = models.DateField(_("date de livraison"), null=True, blank=True)
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    orders = models.ManyToManyField(Order, related_name="invoices", blank=True, verbose_name=_("commandes"))
    deposits_total = DecimalField(_("acomptes déduits TTC"), **AMOUNT, default=0)
    amount_due = DecimalField(_("net à payer"), **AMOUNT, default=0)
    deducted_deposits = models.ManyToManyField(
        "self",
        through="DepositDeduction",
        through_fields=("invoice", "deposit"),
        symmetrical=False,
        blank=True,
        related_name="deducted_by",
        verbose_name=_("factures d'acompte déduites"),
    )
    # A periodic invoice groups a period's deliveries (INV-18): its term is at most 45 days (PAY-02).
    periodic = models.BooleanField(_("facture périodique"), default=False)
    issued_at = models.DateTimeField(_("émise le"), null=True, blank=True)
    chain_position = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    content_hash = models.CharField(_("empreinte"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("facture")
        ordering = ["-invoice_date", "-pk"]
        indexes = [
            models.Index(fields=["status", "invoice_date"], name="sales_invoice_status_idx"),
            models.Index(fields=["customer", "invoice_date"], name="sales_invoice_customer_idx"),
            *list_sort_indexes("sales_invoice", "invoice_date"),
            models.Index(fields=["due_date", "chain_position", "id"], name="sales_invoice_due_sort"),
            # The distance sales to EU consumers, summed for the OSS threshold (vat.eu_distance_sales_of)
            # for every EU consumer's order: only those invoices are read, not the year's every invoice.
            models.Index(
                fields=["invoice_date"],
                name="sales_invoice_eu_sales_idx",
                condition=Q(status="issued", vat_treatment__in=["eu_b2c", "eu_oss"]),
            ),
        ]

    def save(self, *args, issuing=False, **kwargs):
        """``issuing`` is for ``issue_invoice`` only: the one save that turns a draft into an issued invoice."""
        if self.pk and not issuing and Invoice.objects.filter(pk=self.pk).exclude(status=self.Status.DRAFT).exists():
            raise ValidationError(_("Une facture émise ne se modifie pas : corrigez-la par un avoir."))
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("sales:invoice_detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        if self.status != self.Status.DRAFT:
            raise ValidationError(_("Une facture émise ne se supprime pas : annulez-la par un avoir."))
        return super().delete(*args, **kwargs)


class DepositDeduction(models.Model):
    """What an invoice deducts from a deposit invoice of its orders (DEP-01). A deposit may be
    deducted over several invoices (an order shipped in several parcels), each taking part of
    it, never more than it stands for. The table is the one the plain many-to-many link had
    (``Invoice.deducted_deposits``), with the amount added (sales migrations 0013 to 0015)."""

    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.CASCADE,
        db_column="from_invoice_id",
        related_name="deposit_deductions",
        verbose_name=_("facture"),
    )
    deposit = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        db_column="to_invoice_id",
        related_name="deductions",
        verbose_name=_("facture d'acompte"),
    )
    amount = DecimalField(_("montant déduit TTC"), **AMOUNT)

    class Meta:
        db_table = "sales_invoice_deducted_deposits"
        verbose_name = _("acompte déduit")
        verbose_name_plural = _("acomptes déduits")
        # The pair constraint the many-to-many table was created with (same name, same columns).
        unique_together = [("invoice", "deposit")]

    def __str__(self):
        return f"{self.invoice} − {self.deposit} {money_fr(self.amount)}"


class InvoicingHold(models.Model):
    """Why a shipped delivery note its invoicing policy says to invoice is still not invoiced: the
    automatic invoicing's last refusal (a closed period, the chronology of the series), kept until
    the note is invoiced; the « à facturer » list shows it."""

    delivery_note = models.OneToOneField(DeliveryNote, on_delete=models.CASCADE, related_name="invoicing_hold")
    reason = models.TextField(_("raison"))
    attempts = models.PositiveIntegerField(_("tentatives"), default=1)
    first_failed_at = models.DateTimeField(_("premier échec"), auto_now_add=True)
    last_failed_at = models.DateTimeField(_("dernier échec"))

    class Meta:
        verbose_name = _("facturation en attente")
        verbose_name_plural = _("facturations en attente")

    def __str__(self):
        return f"{self.delivery_note}: {self.reason}"


class InvoiceMailing(models.Model):
    """The e-mail of a new invoice to its customer, sent once (the channel's setting): written when
    the invoice is issued, sent by a task, sent again by the sweeper while it is still pending."""

    class Status(models.TextChoices):
        PENDING = "pending", _("À envoyer")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")

    invoice = models.OneToOneField("Invoice", on_delete=models.CASCADE, related_name="mailing")
    recipient = models.EmailField(_("destinataire"), blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("tentatives"), default=0)
    reason = models.TextField(_("raison"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("envoi de facture")
        verbose_name_plural = _("envois de factures")
        indexes = [models.Index(fields=["status", "created_at"], name="sales_invoice_mailing_idx")]

    def __str__(self):
        return f"{self.invoice} → {self.recipient or '?'} ({self.status})"


class InvoiceLine(DocumentLine):
    document = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines")
    delivery_line = models.ForeignKey(
        DeliveryNoteLine, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice_lines"
    )

    class Meta(DocumentLine.Meta):
        verbose_name = _("ligne de facture")


class CreditNote(Document):
    """A credit note (EN 16931 type 381): the only way to correct an issued invoice. It always
    references the invoice, keeps its VAT treatment and rates, and has its own series."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        ISSUED = "issued", _("Émis")

    class Settlement(models.TextChoices):
        """What becomes of the credit once it has settled what the invoice still awaits."""

        BALANCE = "balance", _("Gardé au compte du client")
        REFUND = "refund", _("Remboursé")
        VOUCHER = "voucher", _("Transformé en bon d'achat")

    number = models.CharField(_("numéro"), max_length=30, unique=True, null=True, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("facture"))
    credit_date = models.DateField(_("date"), null=True, blank=True)
    reason = models.CharField(_("motif"), max_length=255)
    settlement = models.CharField(_("règlement"), max_length=10, choices=Settlement.choices, default=Settlement.BALANCE)
    issued_at = models.DateTimeField(_("émis le"), null=True, blank=True)
    chain_position = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    content_hash = models.CharField(_("empreinte"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("avoir")
        ordering = ["-credit_date", "-pk"]
        indexes = [
            models.Index(fields=["status", "credit_date"], name="sales_creditnote_status_idx"),
            *list_sort_indexes("sales_credit", "credit_date"),
        ]

    def save(self, *args, issuing=False, **kwargs):
        """``issuing`` is for ``issue_credit_note`` only."""
        if self.pk and not issuing and CreditNote.objects.filter(pk=self.pk).exclude(status=self.Status.DRAFT).exists():
            raise ValidationError(_("Un avoir émis ne se modifie pas."))
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("sales:credit_note_detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        if self.status != self.Status.DRAFT:
            raise ValidationError(_("Un avoir émis ne se supprime pas."))
        return super().delete(*args, **kwargs)


class CreditNoteLine(DocumentLine):
    document = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="credit_lines")
    return_to_stock = models.BooleanField(_("retour en stock"), default=False)
    stock_move = models.ForeignKey("stock.StockMove", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta(DocumentLine.Meta):
        verbose_name = _("ligne d'avoir")


class Installment(models.Model):
    """One due date of an invoice's schedule (échéancier); most invoices have one."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="installments")
    due_date = models.DateField(_("échéance"))
    amount = DecimalField(_("montant"), **AMOUNT)

    class Meta:
        verbose_name = _("échéance")
        ordering = ["due_date", "pk"]

    def __str__(self):
        return f"{self.invoice} {self.due_date:%d/%m/%Y} {money_fr(self.amount)}"


# --- Payments, vouchers ------------------------------------------------------------------------


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Carte bancaire")
    TRANSFER = "transfer", _("Virement")
    CHEQUE = "cheque", _("Chèque")
    CASH = "cash", _("Espèces")
    PAYPAL = "paypal", _("PayPal")
    DIRECT_DEBIT = "direct_debit", _("Prélèvement")
    VOUCHER = "voucher", _("Bon d'achat")

    @classmethod
    def label_of(cls, code: str) -> str:
        """``card`` → « Carte bancaire »; an unknown code as it is."""
        return str(cls(code).label) if code in cls.values else code


class Voucher(models.Model):
    """A multi-purpose voucher (bon d'achat, VOU-03): issued from a credit note or sold; spent as
    a payment. Its balance never goes below zero, even when two tills spend it at once."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    customer = models.ForeignKey(ThirdParty, on_delete=models.PROTECT, null=True, blank=True, related_name="vouchers")
    amount = DecimalField(_("montant"), **AMOUNT, validators=[MinValueValidator(0)])
    balance = DecimalField(_("solde"), **AMOUNT, validators=[MinValueValidator(0)])
    expires_on = models.DateField(_("expire le"))
    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, null=True, blank=True, related_name="vouchers")
    sold = models.BooleanField(_("vendu"), default=False, help_text=_("Vendu (encaissé) plutôt qu'émis par un avoir."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bon d'achat")
        verbose_name_plural = _("bons d'achat")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="sales_voucher_balance_not_negative"),
            models.CheckConstraint(condition=Q(balance__lte=models.F("amount")), name="sales_voucher_balance_within_amount"),
        ]

    def __str__(self):
        return self.code


class Payment(models.Model):
    """Money received from (or, for a refund, paid back to) a customer. A settlement's
    allocations say which invoices it pays; what is not allocated is the customer's credit."""

    class Purpose(models.TextChoices):
        SETTLEMENT = "settlement", _("Règlement de factures")
        DEPOSIT = "deposit", _("Acompte sur commande")
        VOUCHER_SALE = "voucher_sale", _("Vente d'un bon d'achat")
        REFUND = "refund", _("Remboursement")

    customer = models.ForeignKey(ThirdParty, on_delete=models.PROTECT, related_name="payments", verbose_name=_("client"))
    purpose = models.CharField(_("objet"), max_length=20, choices=Purpose.choices, default=Purpose.SETTLEMENT)
    method = models.CharField(_("mode de règlement"), max_length=20, choices=PaymentMethod.choices)
    amount = DecimalField(_("montant"), **AMOUNT, validators=[MinValueValidator(0)])
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    payment_date = models.DateField(_("date"))
    reference = models.CharField(_("référence"), max_length=100, blank=True)
    voucher = models.ForeignKey(
        Voucher,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        help_text="the voucher spent (method voucher) or sold (purpose voucher_sale)",
    )
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="deposits", verbose_name=_("commande (acompte)")
    )
    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds")
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("règlement")
        ordering = ["-payment_date", "-pk"]
        indexes = [
            models.Index(fields=["customer", "payment_date"], name="sales_payment_customer_idx"),
            # The money received on a day, by method (the home dashboard, stats.dashboard).
            models.Index(fields=["payment_date", "method"], name="sales_payment_date_idx"),
            # The list's sorts (screen and API), each ending with the id that breaks ties.
            models.Index(fields=["payment_date", "id"], name="sales_payment_date_sort"),
            models.Index(fields=["amount", "id"], name="sales_payment_amount_sort"),
            models.Index(fields=["created_at", "id"], name="sales_payment_created_sort"),
        ]

    def __str__(self):
        return f"{self.get_method_display()} du {self.payment_date:%d/%m/%Y} ({money_fr(self.amount, self.currency)})"


class Allocation(models.Model):
    """What settles an invoice: part of a payment, or part of a credit note."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("facture"))
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations")
    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations")
    amount = DecimalField(_("montant"), **AMOUNT, validators=[MinValueValidator(0)])
    allocated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lettrage")
        constraints = [
            models.CheckConstraint(
                condition=Q(payment__isnull=False, credit_note__isnull=True) | Q(payment__isnull=True, credit_note__isnull=False),
                name="sales_allocation_payment_or_credit_note",
            )
        ]

    def __str__(self):
        return f"{self.invoice} ← {money_fr(self.amount)}"


class OpenInvoice(models.Model):
    """An issued invoice still owed, with what it still owes (its amount due less its allocations).

    A cache, as stock levels are: the services that issue an invoice or allocate to one write it
    in their transaction, and the row goes once the invoice is settled;
    ``sales.queries.open_invoice_differences`` compares it with the allocations. The « Impayées »
    filter reads it: the owed invoices are a short list to join, where the balance computed for
    each issued invoice meant reading them all when most are paid (200,000 invoices: 0.5 s)."""

    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="+")
    balance = DecimalField(_("reste dû"), **AMOUNT)

    class Meta:
        verbose_name = _("facture à régler")
        verbose_name_plural = _("factures à régler")

    def __str__(self):
        return f"{self.invoice} : {money_fr(self.balance)}"


class DocumentEvent(models.Model):
    """The history of a document: who did what, when (created, sent, confirmed, issued…)."""

    LABELS = {
        "created": _("Créé"),
        "updated": _("Conditions modifiées"),
        "sent": _("Envoyé"),
        "emailed": _("Envoyé par e-mail"),
        "email_failed": _("Échec de l'envoi par e-mail"),
        "accepted": _("Accepté"),
        "refused": _("Refusé"),
        "expired": _("Expiré"),
        "confirmed": _("Confirmé"),
        "cancelled": _("Annulé"),
        "delivery_prepared": _("Livraison préparée"),
        "shipped": _("Expédié"),
        "invoiced": _("Facturé"),
        "invoicing_held": _("Facturation en attente"),
        "grouped": _("Facture périodique"),
        "backorder_closed": _("Reliquat soldé"),
        "deposit": _("Acompte encaissé"),
        "issued": _("Émis"),
        "allocated": _("Règlement affecté"),
        "credited": _("Avoir émis"),
        "refunded": _("Remboursé"),
        "voucher": _("Bon d'achat émis"),
    }

    document_type = models.CharField(max_length=30)
    document_id = models.BigIntegerField()
    action = models.CharField(_("action"), max_length=50)
    detail = models.CharField(_("détail"), max_length=255, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("historique")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["document_type", "document_id"], name="sales_event_document_idx")]

    def __str__(self):
        return f"{self.document_type}#{self.document_id} {self.action}"

    @property
    def label(self):
        return self.LABELS.get(self.action, self.action)


# --- Documents out: stored PDFs, e-mail texts ---------------------------------------------------


class IssuedPdf(models.Model):
    """The PDF (Factur-X for invoices and credit notes) of an issued document, made once and kept:
    downloading, e-mailing or archiving it always gives these bytes, whose SHA-256 is stored
    (NUM-04: integrity from issue to the end of the retention period). Insert-only: the model
    refuses changes and, on PostgreSQL, a trigger refuses UPDATE and DELETE. The issued document's
    own row is never touched."""

    class DocumentType(models.TextChoices):
        INVOICE = "invoice", _("Facture")
        CREDIT_NOTE = "credit_note", _("Avoir")

    document_type = models.CharField(_("type de document"), max_length=20, choices=DocumentType.choices)
    document_id = models.BigIntegerField(_("document"))
    number = models.CharField(_("numéro"), max_length=30)
    filename = models.CharField(_("fichier"), max_length=100)
    content = models.BinaryField(_("contenu"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("taille (octets)"))
    created_at = models.DateTimeField(_("produit le"), auto_now_add=True)

    class Meta:
        verbose_name = _("PDF émis")
        verbose_name_plural = _("PDF émis")
        constraints = [models.UniqueConstraint(fields=["document_type", "document_id"], name="sales_issued_pdf_unique_document")]

    def __str__(self):
        return self.filename

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValidationError(_("Le PDF d'un document émis ne se modifie pas."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Le PDF d'un document émis ne se supprime pas."))


# --- The till (its own package, registered in this app) ----------------------------------------

from .till.models import CashMovement, Closure, Register, Ticket, TillEvent, TillSession  # noqa: E402, F401
