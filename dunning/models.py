"""Getting paid: reminder plans per customer type (fr-rules §6), late-penalty rates per semester
(PAY-03, PAY-08), each customer's dunning settings (insolvency PAY-06, payment promise), disputed
invoices (DUN-03), and the reminders sent, with the items they chased.

A customer's reminders form ladders: R1, R2, R3… of their plan, numbered ``ladder`` on their
``CustomerDunning`` row. A ladder goes on while an item its last reminder chased is still
overdue; once everything it chased is paid, the next overdue item starts a new ladder at R1
(``dunning.services``). A reminder is unique per customer, ladder and step position: the daily run,
run twice or from two processes, makes each reminder once.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models import CustomerCategory, ThirdParty
from lmb.fields import DecimalField
from lmb.formats import money_fr
from sales.models import Installment, Invoice

AMOUNT = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 6, "decimal_places": 3}


class PlanCategory(models.TextChoices):
    """The customer types a plan is the default for (a reseller follows the business plan)."""

    CONSUMER = CustomerCategory.CONSUMER.value, CustomerCategory.CONSUMER.label
    BUSINESS = CustomerCategory.BUSINESS.value, CustomerCategory.BUSINESS.label
    PUBLIC = CustomerCategory.PUBLIC.value, CustomerCategory.PUBLIC.label


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Courrier")
    REGISTERED_LETTER = "registered_letter", _("Lettre recommandée (mise en demeure)")
    PHONE = "phone", _("Appel téléphonique")


class ReminderPlan(models.Model):
    """A calendar of reminders (fr-rules §6). One plan is the default for each customer type."""

    name = models.CharField(_("nom"), max_length=100, unique=True)
    customer_category = models.CharField(
        _("plan par défaut des clients"),
        max_length=20,
        choices=PlanCategory.choices,
        null=True,
        blank=True,
        help_text=_("Vide : un plan choisi client par client."),
    )
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("plan de relance")
        verbose_name_plural = _("plans de relance")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["customer_category"], name="dunning_plan_one_default_per_category"),
        ]

    def __str__(self):
        return self.name


class ReminderStep(models.Model):
    """One step of a plan: sent ``delay_days`` after the due date of the oldest overdue item (the
    first step), or after the previous step's actual sending (the next ones, fr-rules §6)."""

    plan = models.ForeignKey(ReminderPlan, on_delete=models.CASCADE, related_name="steps", verbose_name=_("plan"))
    position = models.PositiveSmallIntegerField(_("rang"), validators=[MinValueValidator(1)])
    name = models.CharField(_("nom"), max_length=100)
    delay_days = models.PositiveSmallIntegerField(
        _("délai (jours)"),
        validators=[MaxValueValidator(365)],
        help_text=_("Après l'échéance pour la première relance ; après l'envoi de la précédente pour les suivantes."),
    )
    channel = models.CharField(_("canal"), max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    show_penalties = models.BooleanField(_("afficher les pénalités de retard"), default=False)
    show_indemnity = models.BooleanField(_("afficher l'indemnité forfaitaire de 40 €"), default=False)
    payment_deadline_days = models.PositiveSmallIntegerField(
        _("délai de paiement accordé (jours)"),
        default=0,
        validators=[MaxValueValidator(60)],
        help_text=_("Le délai laissé par une mise en demeure (8 à 15 jours d'usage, DUN-01) ; 0 : aucun."),
    )
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("texte"))

    class Meta:
        verbose_name = _("étape de relance")
        verbose_name_plural = _("étapes de relance")
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="dunning_step_unique_position"),
            models.CheckConstraint(condition=Q(position__gte=1), name="dunning_step_position_from_one"),
        ]

    def __str__(self):
        return f"{self.plan} — {self.name}"


class PenaltyRate(models.Model):
    """The late-penalty rates of one semester (PAY-03): the ECB main refinancing rate in force on
    1 January (January–June) or 1 July (July–December), plus ``points`` (10 by default, L441-10);
    public buyers owe moratory interest at the ECB rate plus ``public_points`` (8, R2192-31 CCP,
    PAY-08). A rate other than the legal default may not fall below 3 × the legal interest rate
    of professional creditors (``legal_interest_rate``)."""

    start = models.DateField(_("début du semestre"), unique=True)
    ecb_rate = DecimalField(_("taux directeur de la BCE (%)"), **RATE)
    points = DecimalField(_("points ajoutés (%)"), **RATE, default=10)
    public_points = DecimalField(_("points ajoutés, acheteurs publics (%)"), **RATE, default=8)
    legal_interest_rate = DecimalField(
        _("taux de l'intérêt légal, créanciers professionnels (%)"), **RATE, validators=[MinValueValidator(0)]
    )
    source = models.CharField(_("source"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("taux des pénalités de retard")
        verbose_name_plural = _("taux des pénalités de retard")
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__day=1) & Q(start__month__in=[1, 7]), name="dunning_rate_starts_a_semester"),
            models.CheckConstraint(condition=Q(points__gte=0) & Q(public_points__gte=0), name="dunning_rate_points_positive"),
        ]

    def __str__(self):
        half = 1 if self.start.month == 1 else 2
        return _("%(half)s semestre %(year)s") % {"half": "1er" if half == 1 else "2e", "year": self.start.year}

    @property
    def business_rate(self):
        return self.ecb_rate + self.points

    @property
    def public_rate(self):
        return self.ecb_rate + self.public_points

    @property
    def legal_floor(self):
        return 3 * self.legal_interest_rate


class CustomerDunning(models.Model):
    """A customer's dunning settings and the number of their current ladder of reminders. Its row
    is locked while the customer's next reminder is decided."""

    customer = models.OneToOneField(ThirdParty, on_delete=models.CASCADE, related_name="dunning", verbose_name=_("client"))
    plan = models.ForeignKey(
        ReminderPlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("plan de relance"),
        help_text=_("Vide : le plan de sa catégorie de client."),
    )
    do_not_remind = models.BooleanField(_("ne pas relancer"), default=False)
    insolvency_date = models.DateField(
        _("date du jugement d'ouverture"),
        null=True,
        blank=True,
        help_text=_("Sauvegarde, redressement ou liquidation : ni relance ni pénalités sur les créances antérieures (PAY-06)."),
    )
    promise_date = models.DateField(_("paiement promis pour le"), null=True, blank=True)
    promise_amount = DecimalField(_("montant promis"), **AMOUNT, null=True, blank=True, validators=[MinValueValidator(0)])
    ladder = models.PositiveIntegerField(_("cycle de relance en cours"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("relances du client")
        verbose_name_plural = _("relances des clients")
        constraints = [
            models.CheckConstraint(
                condition=Q(promise_amount__isnull=True) | Q(promise_date__isnull=False),
                name="dunning_promise_amount_has_date",
            )
        ]

    def __str__(self):
        return str(self.customer)


class InvoiceDispute(models.Model):
    """A disputed invoice (litige): not chased while the dispute is open (DUN-03)."""

    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="dispute", verbose_name=_("facture"))
    reason = models.CharField(_("motif"), max_length=255)
    since = models.DateField(_("depuis le"))
    resolved_on = models.DateField(_("résolu le"), null=True, blank=True)

    class Meta:
        verbose_name = _("facture en litige")
        verbose_name_plural = _("factures en litige")
        indexes = [models.Index(fields=["invoice"], name="dunning_dispute_open_idx", condition=Q(resolved_on__isnull=True))]

    def __str__(self):
        return f"{self.invoice}: {self.reason}"


class Reminder(models.Model):
    """One reminder to a customer, listing all their overdue items (one per customer and run).
    Amounts in euros; ``penalties`` and ``indemnity`` are those the step shows (PAY-03..05)."""

    class Status(models.TextChoices):
        TO_VALIDATE = "to_validate", _("À valider")
        SENT = "sent", _("Envoyée")
        CANCELLED = "cancelled", _("Annulée")

    customer = models.ForeignKey(ThirdParty, on_delete=models.PROTECT, related_name="reminders", verbose_name=_("client"))
    ladder = models.PositiveIntegerField(_("cycle de relance"))
    position = models.PositiveSmallIntegerField(_("rang"))
    step = models.ForeignKey(ReminderStep, on_delete=models.PROTECT, related_name="reminders", verbose_name=_("étape"))
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.TO_VALIDATE)
    run_date = models.DateField(_("date de la relance"))
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    channel = models.CharField(_("canal"), max_length=20, choices=Channel.choices)
    amount_due = DecimalField(_("montant échu"), **AMOUNT)
    credit = DecimalField(_("crédit du client déduit"), **AMOUNT, default=0)
    penalties = DecimalField(_("pénalités de retard"), **AMOUNT, default=0)
    indemnity = DecimalField(_("indemnité forfaitaire"), **AMOUNT, default=0)
    total = DecimalField(_("total réclamé"), **AMOUNT)
    payment_deadline = models.DateField(_("à régler avant le"), null=True, blank=True)
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("texte"))
    cancel_reason = models.CharField(_("motif d'annulation"), max_length=255, blank=True)
    # An e-mail reminder is « sent » when queued; the mailing task then says whether it left.
    emailed_at = models.DateTimeField(_("e-mail parti le"), null=True, blank=True)
    email_error = models.CharField(_("échec de l'e-mail"), max_length=500, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("envoyée par")
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("relance")
        ordering = ["-run_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "ladder", "position"], name="dunning_reminder_once_per_step"),
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="dunning_reminder_sent_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "run_date"], name="dunning_reminder_status_idx"),
            models.Index(fields=["customer", "-ladder", "-position"], name="dunning_reminder_last_idx"),
        ]

    def __str__(self):
        return f"{self.step.name} — {self.customer} ({money_fr(self.total)})"

    @property
    def number(self) -> str:
        """The reminder's reference on its letter, e-mail and timeline: « REL-000042 »."""
        return f"REL-{self.pk:06d}" if self.pk else ""


class ReminderItem(models.Model):
    """An overdue installment listed on a reminder, as it stood on the reminder's day."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="items", verbose_name=_("relance"))
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+", verbose_name=_("facture"))
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="+", verbose_name=_("échéance"))
    due_date = models.DateField(_("échéance"))
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    amount_due = DecimalField(_("reste dû"), **AMOUNT)
    amount_due_eur = DecimalField(_("reste dû en euros"), **AMOUNT)
    days_late = models.PositiveIntegerField(_("jours de retard"))
    penalty = DecimalField(_("pénalités"), **AMOUNT, default=0)
    indemnity = DecimalField(_("indemnité forfaitaire"), **AMOUNT, default=0)

    class Meta:
        verbose_name = _("échéance relancée")
        verbose_name_plural = _("échéances relancées")
        ordering = ["due_date", "pk"]
        constraints = [models.UniqueConstraint(fields=["reminder", "installment"], name="dunning_item_unique_installment")]

    def __str__(self):
        return f"{self.invoice} {self.due_date:%d/%m/%Y} {money_fr(self.amount_due, self.currency)}"


class PenaltyClaim(models.Model):
    """Penalties and the EUR 40 of one late invoice up to a day, invoiced on a separate numbered
    invoice outside the scope of VAT or waived with a reason (PAY-03..05). The next claim on the
    invoice starts the day after ``period_end``: the same days are never claimed twice."""

    class Status(models.TextChoices):
        INVOICED = "invoiced", _("Facturées")
        WAIVED = "waived", _("Abandonnées")

    customer = models.ForeignKey(ThirdParty, on_delete=models.PROTECT, related_name="penalty_claims", verbose_name=_("client"))
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="penalty_claims", verbose_name=_("facture relancée")
    )
    period_start = models.DateField(_("du"))
    period_end = models.DateField(_("jusqu'au"))
    penalty = DecimalField(_("pénalités"), **AMOUNT, default=0)
    indemnity = DecimalField(_("indemnité forfaitaire"), **AMOUNT, default=0)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices)
    penalty_invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("facture de pénalités")
    )
    waived_reason = models.CharField(_("motif de l'abandon"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("par")
    )
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pénalités réclamées")
        verbose_name_plural = _("pénalités réclamées")
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "period_end"], name="dunning_claim_once_per_day"),
            models.CheckConstraint(
                condition=Q(status="waived", penalty_invoice__isnull=True) & ~Q(waived_reason="")
                | Q(status="invoiced", penalty_invoice__isnull=False),
                name="dunning_claim_invoiced_or_waived_with_reason",
            ),
        ]

    def __str__(self):
        return f"{self.invoice}: {self.penalty} + {self.indemnity}"
