"""Accounting: the chart of accounts, the account mapping that says where each kind of amount of a
sales or purchase document goes, journals, fiscal years and their periods, and journal entries.

Entries are written only by ``accounting.services``: each one balances (checked before it is
saved), is numbered per journal from a gapless sequence, and never changes once posted — only its
lettering (``lettering_code``/``lettering_date`` of its lines) may be set or cleared later. On
PostgreSQL, triggers refuse the rest even to raw SQL (migration 0002).
"""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lmb.fields import DecimalField
from lmb.formats import decimal_fr

AMOUNT = {"max_digits": 14, "decimal_places": 2}

account_number = RegexValidator(
    r"^[1-8][0-9]{2}[0-9A-Z]{0,17}$",
    _("Un numéro de compte commence par trois chiffres du plan comptable (classe 1 à 8)."),
)


class Account(models.Model):
    """A general-ledger account of the French chart (PCG), seeded by migration 0003, editable."""

    number = models.CharField(_("numéro"), max_length=20, unique=True, validators=[account_number])
    label = models.CharField(_("libellé"), max_length=100)
    is_control = models.BooleanField(
        _("compte collectif"), default=False, help_text=_("Clients, fournisseurs : un compte auxiliaire par tiers.")
    )
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("compte")
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} {self.label}"


class Journal(models.Model):
    class Kind(models.TextChoices):
        SALES = "sales", _("Ventes")
        PURCHASES = "purchases", _("Achats")
        BANK = "bank", _("Banque")
        CASH = "cash", _("Caisse")
        MISC = "misc", _("Opérations diverses")
        OPENING = "opening", _("À-nouveaux")

    code = models.CharField(_("code"), max_length=5, unique=True, validators=[RegexValidator(r"^[A-Z0-9]{1,5}$")])
    label = models.CharField(_("libellé"), max_length=100)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)

    class Meta:
        verbose_name = _("journal")
        verbose_name_plural = _("journaux")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.label}"

    @property
    def sequence_code(self) -> str:
        return f"accounting.journal.{self.code}"


class AccountMapping(models.Model):
    """Where an amount goes. A rule names a role and, optionally, qualifiers; the most specific
    rule whose qualifiers all match wins (a rule for the web shop beats the general one)."""

    class Role(models.TextChoices):
        SALES = "sales", _("Ventes")
        DISCOUNT = "discount", _("Remises accordées")
        VAT_COLLECTED = "vat_collected", _("TVA collectée")
        VAT_DEDUCTIBLE = "vat_deductible", _("TVA déductible")
        PURCHASES = "purchases", _("Achats")
        CUSTOMERS = "customers", _("Clients (collectif)")
        SUPPLIERS = "suppliers", _("Fournisseurs (collectif)")
        BANK = "bank", _("Trésorerie par mode de règlement")
        DEPOSITS = "deposits", _("Acomptes reçus")
        VOUCHERS = "vouchers", _("Bons d'achat en circulation")
        ROUNDING = "rounding", _("Écarts d'arrondi")
        EXCHANGE_GAIN = "exchange_gain", _("Gains de change")
        EXCHANGE_LOSS = "exchange_loss", _("Pertes de change")

    class ProductKind(models.TextChoices):
        GOODS = "goods", _("Marchandises")
        SERVICES = "services", _("Prestations de services")
        SHIPPING = "shipping", _("Frais de port")
        ECO = "eco", _("Éco-participation")
        PENALTY = "penalty", _("Pénalités de retard")
        INDEMNITY = "indemnity", _("Indemnité de recouvrement")

    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    product_kind = models.CharField(_("type de produit"), max_length=10, choices=ProductKind.choices, blank=True)
    vat_treatment = models.CharField(_("régime de TVA"), max_length=20, blank=True)
    vat_rate = DecimalField(_("taux de TVA (%)"), max_digits=6, decimal_places=3, null=True, blank=True)
    channel = models.ForeignKey(
        "sales.Channel", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("canal")
    )
    payment_method = models.CharField(_("mode de règlement"), max_length=20, blank=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="mappings", verbose_name=_("compte"))
    journal = models.ForeignKey(
        Journal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("journal"),
        help_text=_("Trésorerie : le journal des règlements de ce mode."),
    )

    QUALIFIERS = ("product_kind", "vat_treatment", "vat_rate", "channel_id", "payment_method")

    class Meta:
        verbose_name = _("affectation comptable")
        verbose_name_plural = _("affectations comptables")
        ordering = ["role", "product_kind", "vat_treatment", "vat_rate", "payment_method", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["role", "product_kind", "vat_treatment", "vat_rate", "channel", "payment_method"],
                name="accounting_mapping_unique_rule",
                nulls_distinct=False,
            )
        ]

    def __str__(self):
        qualifiers = [str(getattr(self, name)) for name in self.QUALIFIERS if getattr(self, name) not in ("", None)]
        return f"{self.get_role_display()} {' / '.join(qualifiers)} → {self.account.number}"


class FiscalYear(models.Model):
    start = models.DateField(_("début"))
    end = models.DateField(_("fin"))
    is_closed = models.BooleanField(_("clôturé"), default=False)

    class Meta:
        verbose_name = _("exercice")
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(fields=["start"], name="accounting_fiscal_year_unique_start"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="accounting_fiscal_year_end_after_start"),
        ]

    def __str__(self):
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"


class Period(models.Model):
    """A month of a fiscal year. Closed (VAT return filed, books reviewed), it takes no new entry."""

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.CASCADE, related_name="periods")
    start = models.DateField(_("début"))
    end = models.DateField(_("fin"))
    is_closed = models.BooleanField(_("clôturée"), default=False)
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("période")
        ordering = ["start"]
        constraints = [models.UniqueConstraint(fields=["start"], name="accounting_period_unique_start")]

    def __str__(self):
        return f"{self.start:%m/%Y}"


class JournalEntry(models.Model):
    """An entry (écriture): numbered in its journal (one series per fiscal year), balanced, dated, referencing its document.

    ``source_type``/``source_id`` name the document it comes from, unique: posting the same
    document twice, even from two processes at once, gives one entry."""

    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="entries", verbose_name=_("journal"))
    number = models.PositiveIntegerField(_("numéro"))
    date = models.DateField(_("date d'écriture"))
    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="entries", verbose_name=_("exercice"))
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="entries", verbose_name=_("période"))
    piece_ref = models.CharField(_("pièce"), max_length=50)
    piece_date = models.DateField(_("date de la pièce"))
    label = models.CharField(_("libellé"), max_length=200)
    source_type = models.CharField(_("type de document"), max_length=30, blank=True)
    source_id = models.BigIntegerField(_("document"), null=True, blank=True)
    posted_at = models.DateTimeField(_("validée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("écriture")
        ordering = ["date", "journal", "number"]
        constraints = [
            models.UniqueConstraint(fields=["journal", "fiscal_year", "number"], name="accounting_entry_unique_number"),
            models.UniqueConstraint(
                fields=["source_type", "source_id"], condition=Q(source_id__isnull=False), name="accounting_entry_unique_source"
            ),
        ]
        # The entry-line list walks these to list lines by date or by journal (see
        # views.EntryLineListView); the trigram index on piece_ref (migration 0007) serves its search.
        indexes = [
            models.Index(fields=["date", "journal", "number"], name="accounting_entry_date_idx"),
            models.Index(fields=["journal", "date", "number"], name="accounting_entry_journal_idx"),
        ]

    def __str__(self):
        return f"{self.journal.code}{self.number:06d}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValidationError(_("Une écriture validée ne se modifie pas : passez une écriture de correction."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Une écriture validée ne se supprime pas : passez une écriture de correction."))

    @property
    def reference(self) -> str:
        return str(self)


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines", db_index=False)
    position = models.PositiveSmallIntegerField(default=0)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines", verbose_name=_("compte"))
    third_party = models.ForeignKey(
        "crm.ThirdParty", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("tiers")
    )
    auxiliary_number = models.CharField(_("compte auxiliaire"), max_length=20, blank=True)
    auxiliary_label = models.CharField(_("libellé auxiliaire"), max_length=200, blank=True)
    label = models.CharField(_("libellé"), max_length=200)
    debit = DecimalField(_("débit"), **AMOUNT, default=0)
    credit = DecimalField(_("crédit"), **AMOUNT, default=0)
    currency_amount = DecimalField(_("montant en devise"), **AMOUNT, null=True, blank=True)
    currency = models.CharField(_("devise"), max_length=3, blank=True)
    lettering_code = models.CharField(_("lettrage"), max_length=10, blank=True, db_index=True)
    lettering_date = models.DateField(_("date de lettrage"), null=True, blank=True)

    class Meta:
        verbose_name = _("ligne d'écriture")
        ordering = ["entry", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gte=0, credit=0) | Q(debit=0, credit__gte=0)), name="accounting_line_one_side"
            ),
            models.CheckConstraint(
                condition=(Q(currency="", currency_amount__isnull=True) | (~Q(currency="") & Q(currency_amount__isnull=False))),
                name="accounting_line_currency_pair",
            ),
        ]
        # (entry, position, id): an entry's lines in order, read without the table when the list
        # walks the entries by date; (debit, id) and (credit, id): the list's amount sorts; trigram
        # indexes on the labels and the auxiliary account (migration 0007): its search.
        indexes = [
            models.Index(fields=["account", "auxiliary_number"], name="accounting_line_account_idx"),
            models.Index(fields=["entry", "position", "id"], name="accounting_line_entry_idx"),
            models.Index(fields=["debit", "id"], name="accounting_line_debit_idx"),
            models.Index(fields=["credit", "id"], name="accounting_line_credit_idx"),
        ]

    LETTERING_FIELDS = frozenset({"lettering_code", "lettering_date"})

    def __str__(self):
        return f"{self.account.number} {decimal_fr(self.debit or -self.credit, 2)}"

    def save(self, *args, update_fields=None, **kwargs):
        """A posted line changes only its lettering (``save(update_fields=[…lettering…])``)."""
        if self.pk and (update_fields is None or not set(update_fields) <= self.LETTERING_FIELDS):
            raise ValidationError(_("Une ligne d'écriture validée ne change pas, hors lettrage."))
        super().save(*args, update_fields=update_fields, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Une ligne d'écriture validée ne se supprime pas."))
