"""The read model of the analyses (issue #19): three fact tables, one row per source line.

The choice: a fact table per mode, denormalised, rather than analyses over the business tables
or PostgreSQL rollups. An analysis then reads ONE table (no join to invoices, lines, customers,
categories, stock moves…), groups it by plain columns and sums plain columns, on PostgreSQL as on
SQLite; its indexes serve the period filter every analysis has. Rollups (materialised views per
level) would have to exist for every combination of up to three levels and filters; a fact table
answers them all with one GROUP BY, fast enough at two million lines a year (bench/stats.py).

- ``SaleFact``: one row per line of an issued invoice (positive) or credit note (negative
  quantity and amounts), at the document's date. Deposit invoices are left out (they post to
  4191, not to sales, and their deduction on the final invoice does not touch the sales
  accounts: the final invoice carries the full sale), and so are late-payment penalties and the
  40 € indemnity (762700 / 758800: financial income, not sales). The document discount
  (allowance, posted to 709) is spread over the discountable lines of each VAT group, and the VAT
  of each group over its lines, so that a document's facts add up to its total excl. tax, VAT
  and total incl. tax to the cent — and a month's net sales equal the balance of the 70x accounts
  of that month's journal entries (tests/stats/test_facts.py). Amounts are in EUR at the
  document's stored rate (1 EUR = rate units). ``cost`` is the cost of goods at the sale: the
  unit cost of the delivery move of the line (``StockMove.unit_cost``, the weighted average cost
  of the moment), credit notes take back the cost of the invoice line they credit.
- ``OrderFact``: one row per line of a confirmed order, at the order date (« orders » mode);
  removed when the order is cancelled.
- ``PurchaseFact``: one row per line of a recorded supplier invoice (net purchases) and per line
  of a validated reception (quantity received).

Every fact is unique on its source line: building twice never doubles. Facts are added by the
business events (``stats.apps``), by ``services.refresh_facts`` (idempotent, Celery beat) for
anything an event missed, and rebuilt by ``manage.py rebuild_stats``. Foreign keys carry no
database constraint (``db_constraint=False``): the read model never blocks a business write.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lmb.fields import DecimalField

AMOUNT = {"max_digits": 16, "decimal_places": 2, "default": 0}
QUANTITY = {"max_digits": 16, "decimal_places": 3, "default": 0}


def _fk(model, verbose_name, **extra):
    return models.ForeignKey(
        model,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
        **extra,
    )


class SaleFact(models.Model):
    class Source(models.TextChoices):
        INVOICE = "invoice", _("Facture")
        CREDIT_NOTE = "credit_note", _("Avoir")

    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    source_line_id = models.BigIntegerField(_("ligne source"))
    document_id = models.BigIntegerField(_("document"))
    day = models.DateField(_("date"))
    product = _fk("catalog.Product", _("produit"))
    category = _fk("catalog.Category", _("catégorie"))
    category_path = models.CharField(max_length=255, blank=True)
    customer = _fk("crm.ThirdParty", _("client"))
    customer_category = models.CharField(_("catégorie de client"), max_length=20, blank=True)
    customer_kind = models.CharField(_("type de client"), max_length=20, blank=True)
    billing_country = models.CharField(_("pays de facturation"), max_length=2, blank=True)
    country = models.CharField(_("pays de livraison"), max_length=2, blank=True)
    channel = _fk("sales.Channel", _("canal"))
    sales_rep = _fk(settings.AUTH_USER_MODEL, _("commercial"))
    warehouse = _fk("stock.Warehouse", _("dépôt"))
    supplier = _fk("crm.ThirdParty", _("fournisseur"))
    vat_treatment = models.CharField(_("régime de TVA"), max_length=20, blank=True)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    quantity = DecimalField(_("quantité"), **QUANTITY)
    net = DecimalField(_("HT"), **AMOUNT)
    vat = DecimalField(_("TVA"), **AMOUNT)
    gross = DecimalField(_("TTC"), **AMOUNT)
    cost = DecimalField(_("coût de revient"), **AMOUNT)

    class Meta:
        verbose_name = _("ligne vendue")
        verbose_name_plural = _("lignes vendues")
        constraints = [models.UniqueConstraint(fields=["source", "source_line_id"], name="stats_salefact_unique_source")]
        indexes = [
            models.Index(fields=["day"], name="stats_salefact_day"),
            models.Index(fields=["source", "document_id"], name="stats_salefact_document"),
            # The products of the 50 customers shown (or the customers of 50 products), and a
            # filter on a customer or a product, read their own facts, not the year's.
            models.Index(fields=["customer", "day"], name="stats_salefact_customer_day"),
            models.Index(fields=["product", "day"], name="stats_salefact_product_day"),
        ]

    def __str__(self):
        return f"{self.source_line_id} {self.day}"


class OrderFact(models.Model):
    source_line_id = models.BigIntegerField(_("ligne de commande"), unique=True)
    document_id = models.BigIntegerField(_("commande"), db_index=True)
    day = models.DateField(_("date"), db_index=True)
    product = _fk("catalog.Product", _("produit"))
    category = _fk("catalog.Category", _("catégorie"))
    category_path = models.CharField(max_length=255, blank=True)
    customer = _fk("crm.ThirdParty", _("client"))
    customer_category = models.CharField(_("catégorie de client"), max_length=20, blank=True)
    customer_kind = models.CharField(_("type de client"), max_length=20, blank=True)
    billing_country = models.CharField(_("pays de facturation"), max_length=2, blank=True)
    country = models.CharField(_("pays de livraison"), max_length=2, blank=True)
    channel = _fk("sales.Channel", _("canal"))
    sales_rep = _fk(settings.AUTH_USER_MODEL, _("commercial"))
    warehouse = _fk("stock.Warehouse", _("dépôt"))
    supplier = _fk("crm.ThirdParty", _("fournisseur"))
    vat_treatment = models.CharField(_("régime de TVA"), max_length=20, blank=True)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    quantity = DecimalField(_("quantité"), **QUANTITY)
    net = DecimalField(_("HT"), **AMOUNT)
    vat = DecimalField(_("TVA"), **AMOUNT)
    gross = DecimalField(_("TTC"), **AMOUNT)

    class Meta:
        verbose_name = _("ligne commandée")
        verbose_name_plural = _("lignes commandées")

    def __str__(self):
        return f"{self.source_line_id} {self.day}"


class PurchaseFact(models.Model):
    class Source(models.TextChoices):
        SUPPLIER_INVOICE = "supplier_invoice", _("Facture fournisseur")
        RECEPTION = "reception", _("Réception")

    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    source_line_id = models.BigIntegerField(_("ligne source"))
    document_id = models.BigIntegerField(_("document"))
    day = models.DateField(_("date"))
    product = _fk("catalog.Product", _("produit"))
    category = _fk("catalog.Category", _("catégorie"))
    category_path = models.CharField(max_length=255, blank=True)
    supplier = _fk("crm.ThirdParty", _("fournisseur"))
    warehouse = _fk("stock.Warehouse", _("dépôt"))
    quantity_received = DecimalField(_("quantité reçue"), **QUANTITY)
    net_purchases = DecimalField(_("achats HT"), **AMOUNT)

    class Meta:
        verbose_name = _("ligne achetée")
        verbose_name_plural = _("lignes achetées")
        constraints = [models.UniqueConstraint(fields=["source", "source_line_id"], name="stats_purchasefact_unique_source")]
        indexes = [models.Index(fields=["day"], name="stats_purchasefact_day")]

    def __str__(self):
        return f"{self.source_line_id} {self.day}"


class SavedAnalysis(models.Model):
    """An analysis kept under a name: its spec (mode, measures, levels, filters, period,
    comparison), opened again with today's data. Private to its owner unless shared."""

    name = models.CharField(_("nom"), max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("auteur"))
    shared = models.BooleanField(_("partagée"), default=False)
    spec = models.JSONField(_("paramètres"), default=dict)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("analyse enregistrée")
        verbose_name_plural = _("analyses enregistrées")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="stats_saved_analysis_unique_name")]

    def __str__(self):
        return self.name
