"""Tables of the till. Imported at the end of ``sales.models`` so that Django registers them in
the ``sales`` app.

Insert-only tables (events, closures, cash movements) are guarded on PostgreSQL by triggers that
refuse UPDATE and DELETE (migration 0018); tickets only let their reprint counter change."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lmb.fields import DecimalField
from lmb.formats import money_fr
from sales.models import AMOUNT, Channel, CreditNote, Invoice, Payment
from stock.models import Warehouse

USER = settings.AUTH_USER_MODEL


class Register(models.Model):
    """A cash register (caisse) of a counter channel, selling from its own warehouse.

    ``max_discount_percent`` is the discount a cashier may grant on a line or on the whole ticket
    at this register; beyond it only a user with the permission ``sales.discount_beyond_limit``
    (managers) can, and the event log keeps a ``discount_over_threshold`` entry."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="registers", verbose_name=_("canal"))
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("dépôt"))
    max_discount_percent = DecimalField(
        _("remise maximale (%)"),
        max_digits=5,
        decimal_places=2,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Au-delà, seul un responsable (permission « remise au-delà du plafond ») accorde la remise."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("caisse")
        verbose_name_plural = _("caisses")
        ordering = ["code"]
        permissions = [("discount_beyond_limit", _("Peut accorder une remise au-delà du plafond de la caisse"))]

    def __str__(self):
        return f"{self.code} — {self.name}"


class TillSession(models.Model):
    """A cash session of a register: opened with the float counted, closed with the drawer
    counted by denomination and compared with the cash the session expects."""

    class Status(models.TextChoices):
        OPEN = "open", _("Ouverte")
        CLOSED = "closed", _("Clôturée")

    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("caisse"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("ouverte par"))
    opened_at = models.DateTimeField(_("ouverte le"))
    opening_float = DecimalField(_("fond de caisse"), **AMOUNT, validators=[MinValueValidator(0)])
    closed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("clôturée par")
    )
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)
    #: {"50.00": 2, "0.20": 3}: the number of notes or coins of each denomination counted
    counted_cash = models.JSONField(_("comptage par valeur"), default=dict, blank=True)
    counted_total = DecimalField(_("espèces comptées"), **AMOUNT, null=True, blank=True)
    expected_cash = DecimalField(_("espèces attendues"), **AMOUNT, null=True, blank=True)
    difference = DecimalField(_("écart"), **AMOUNT, null=True, blank=True)
    difference_reason = models.CharField(_("motif de l'écart"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("session de caisse")
        verbose_name_plural = _("sessions de caisse")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["register"], condition=Q(status="open"), name="sales_till_one_open_session"),
            models.CheckConstraint(condition=Q(opening_float__gte=0), name="sales_till_float_not_negative"),
        ]

    def __str__(self):
        return _("Session n° %(pk)s de %(register)s") % {"pk": self.pk, "register": self.register.code}


class Ticket(models.Model):
    """What one customer bought (a sale: ``invoice``) or brought back (a return: ``credit_note``,
    whose ``invoice`` is the sale's) at a register, in a session, rung up by a user — or a voucher
    sold (``payment``: the voucher sale's payment, which names the voucher; no document: a
    multi-purpose voucher is no sale and bears no VAT, VOU-03). Recorded in the transaction of
    the sale, return or voucher sale; only ``reprints`` changes afterwards (the duplicates
    printed, « DUPLICATA n° N », counted by ``services.reprint_ticket``)."""

    class Kind(models.TextChoices):
        SALE = "sale", _("Vente")
        RETURN = "return", _("Retour")
        VOUCHER_SALE = "voucher_sale", _("Vente de bon d'achat")

    session = models.ForeignKey(TillSession, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("session"))
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("caissier"))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("facture")
    )
    credit_note = models.ForeignKey(
        CreditNote, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("avoir")
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("règlement")
    )
    #: what the customer handed over, per tender, before change: [{"method": "cash", "amount": "20.00"}]
    tendered = models.JSONField(_("remis par le client"), default=list, blank=True)
    change = DecimalField(_("monnaie rendue"), **AMOUNT, default=0)
    created_at = models.DateTimeField(_("créé le"))
    reprints = models.PositiveIntegerField(_("duplicatas imprimés"), default=0)

    class Meta:
        verbose_name = _("ticket")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="sale", invoice__isnull=False, credit_note__isnull=True, payment__isnull=True)
                | Q(kind="return", credit_note__isnull=False, payment__isnull=True)
                | Q(kind="voucher_sale", payment__isnull=False, invoice__isnull=True, credit_note__isnull=True),
                name="sales_ticket_document_of_its_kind",
            )
        ]
        indexes = [
            models.Index(fields=["session", "kind"], name="sales_ticket_session_idx"),
            # a closure reads its period's tickets among years of them
            models.Index(fields=["created_at"], name="sales_ticket_created_idx"),
        ]

    def __str__(self):
        return str(self.document) if self.document is not None else self.number

    @property
    def document(self):
        """The invoice of a sale, the credit note of a return; None for a voucher sold."""
        if self.kind == self.Kind.VOUCHER_SALE:
            return None
        return self.invoice if self.kind == self.Kind.SALE else self.credit_note

    @property
    def number(self) -> str:
        """What the ticket is known by: its document's number, or the code of the voucher sold."""
        if self.kind == self.Kind.VOUCHER_SALE:
            return self.payment.voucher.code
        return self.document.number

    @property
    def total(self):
        """The amount of the ticket, tax included (a voucher sold: its amount, without VAT)."""
        if self.kind == self.Kind.VOUCHER_SALE:
            return self.payment.amount
        return self.document.total_incl_tax


class CashMovement(models.Model):
    """Cash into or out of a session's drawer that is not a sale or a refund."""

    class Kind(models.TextChoices):
        WITHDRAWAL = "withdrawal", _("Retrait")
        BANK_DEPOSIT = "bank_deposit", _("Remise en banque")
        EXPENSE = "expense", _("Petite dépense")
        DEPOSIT = "deposit", _("Apport dans le tiroir")

    #: the kinds that take cash out of the drawer (the others put some in)
    OUTGOING = (Kind.WITHDRAWAL, Kind.BANK_DEPOSIT, Kind.EXPENSE)

    session = models.ForeignKey(TillSession, on_delete=models.PROTECT, related_name="cash_movements", verbose_name=_("session"))
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("utilisateur"))
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    amount = DecimalField(_("montant"), **AMOUNT, validators=[MinValueValidator(0)])
    reason = models.CharField(_("motif"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("le"))

    class Meta:
        verbose_name = _("mouvement d'espèces")
        verbose_name_plural = _("mouvements d'espèces")
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="sales_cash_movement_positive")]

    def __str__(self):
        return f"{self.get_kind_display()} {money_fr(self.amount)}"

    @property
    def signed_amount(self):
        """The effect on the drawer: negative when cash leaves it."""
        return -self.amount if self.kind in self.OUTGOING else self.amount


class SealedRow(models.Model):
    """A row of a hash chain (like ``sales.chain`` for documents): its position, the previous
    row's hash and its own. Insert-only: refused here and by a PostgreSQL trigger."""

    sequence = models.PositiveBigIntegerField(_("rang"), unique=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    content_hash = models.CharField(_("empreinte"), max_length=64)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValidationError(_("Un enregistrement scellé ne se modifie pas."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Un enregistrement scellé ne se supprime pas."))


class TillEvent(SealedRow):
    """The till's journal of sensitive events (POS-02, « sécurisation »), chained by hash."""

    class Kind(models.TextChoices):
        SESSION_OPENED = "session_opened", _("Ouverture de session")
        SESSION_CLOSED = "session_closed", _("Clôture de session")
        DRAWER_OPENED = "drawer_opened_without_sale", _("Tiroir ouvert sans vente")
        LINE_DELETED = "line_deleted", _("Ligne supprimée avant paiement")
        DISCOUNT_OVER_THRESHOLD = "discount_over_threshold", _("Remise au-delà du plafond")
        CASH_MOVEMENT = "cash_movement", _("Mouvement d'espèces")
        REPRINT = "reprint", _("Réimpression")
        RETURN = "return", _("Retour")
        CLOSURE = "closure", _("Clôture de période")
        ARCHIVE = "archive", _("Archivage")

    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    register = models.ForeignKey(Register, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    session = models.ForeignKey(TillSession, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField(_("le"))
    details = models.JSONField(_("détails"), default=dict, blank=True)

    class Meta:
        verbose_name = _("événement de caisse")
        verbose_name_plural = _("journal des événements de caisse")
        ordering = ["sequence"]
        indexes = [models.Index(fields=["register", "at"], name="sales_till_event_register_idx")]

    def __str__(self):
        return f"{self.sequence} {self.kind}"


class Closure(SealedRow):
    """A period closure (Z) of a register: day, month or year. Its totals per VAT rate, tender
    and user, its number of tickets, and the perpetual grand total (the previous closure of the
    same kind's grand total + this period's total: it never resets). Sealed and chained (POS-02,
    « conservation »): read and printed again, never edited."""

    class Kind(models.TextChoices):
        DAY = "day", _("Journalière")
        MONTH = "month", _("Mensuelle")
        YEAR = "year", _("Annuelle")

    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="closures", verbose_name=_("caisse"))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    period_start = models.DateField(_("du"))
    period_end = models.DateField(_("au"))
    ticket_count = models.PositiveIntegerField(_("nombre de tickets"))
    sales_total = DecimalField(_("ventes TTC"), **AMOUNT)
    returns_total = DecimalField(_("retours TTC"), **AMOUNT)
    period_total = DecimalField(_("total de la période TTC"), **AMOUNT)
    grand_total = DecimalField(_("grand total perpétuel TTC"), **AMOUNT)
    #: {"by_rate": [{rate, net, vat, gross}], "by_tender": {method: amount}, "by_user": {user id: {...}}}
    totals = models.JSONField(_("totaux"), default=dict)
    closed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("clôturée par"))
    closed_at = models.DateTimeField(_("clôturée le"))

    class Meta:
        verbose_name = _("clôture de caisse")
        verbose_name_plural = _("clôtures de caisse")
        ordering = ["sequence"]
        constraints = [models.UniqueConstraint(fields=["register", "kind", "period_start"], name="sales_closure_once_per_period")]

    def __str__(self):
        return f"Z {self.get_kind_display()} {self.register.code} {self.period_start:%d/%m/%Y}"
