"""Kernel tables: the seller's legal identity, gapless sequences, API tokens and spreadsheet imports."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import fields, validators
from .countries import country_choices, validate_country


class PaymentTerms(models.TextChoices):
    """Payment terms (C. com. L441-10): used by the company, third parties and documents."""

    ON_RECEIPT = "on_receipt", _("À réception")
    NET_30 = "net_30", _("30 jours")
    EOM_45 = "eom_45", _("45 jours fin de mois")
    NET_60 = "net_60", _("60 jours")
    CUSTOM = "custom", _("Personnalisé")


class InvoicingPolicy(models.TextChoices):
    """When shipped goods are invoiced (INV-18): at once, or by a periodic invoice (PAY-02). Set
    per sales channel, overridable per customer."""

    AT_SHIPMENT = "at_shipment", _("À l'expédition")
    MONTHLY = "monthly", _("Groupée en fin de mois")
    WEEKLY = "weekly", _("Groupée chaque semaine")
    MANUAL = "manual", _("Manuelle")


class LegalForm(models.TextChoices):
    EI = "EI", _("Entreprise individuelle (EI)")
    EURL = "EURL", "EURL"
    SARL = "SARL", "SARL"
    SAS = "SAS", "SAS"
    SASU = "SASU", "SASU"
    SA = "SA", "SA"
    SNC = "SNC", "SNC"
    SCOP = "SCOP", "SCOP"
    ASSOCIATION = "association", _("Association")
    OTHER = "other", _("Autre")


class Company(models.Model):
    """The seller: one row (pk=1). Every document prints this identity (fr-rules INV-01, INV-02)."""

    name = models.CharField(_("raison sociale"), max_length=200)
    trade_name = models.CharField(_("nom commercial"), max_length=200, blank=True)
    legal_form = models.CharField(_("forme juridique"), max_length=20, choices=LegalForm.choices, default=LegalForm.SARL)
    share_capital = fields.DecimalField(
        _("capital social (€)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    siren = fields.SirenField(_("SIREN"), blank=False)
    siret = fields.SiretField(_("SIRET du siège"))
    rcs_city = models.CharField(_("ville du greffe (RCS)"), max_length=100, blank=True)
    vat_number = fields.VatNumberField(_("numéro de TVA intracommunautaire"))
    vat_franchise = models.BooleanField(
        _("franchise en base de TVA"), default=False, help_text=_("TVA non applicable, art. 293 B du CGI.")
    )
    address_line1 = models.CharField(_("adresse"), max_length=200)
    address_line2 = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10)
    city = models.CharField(_("ville"), max_length=100)
    country = models.CharField(_("pays"), max_length=2, default="FR", choices=country_choices, validators=[validate_country])
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("site web"), blank=True)
    iban = fields.IbanField(_("IBAN"))
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validators.validate_bic])
    logo = models.ImageField(_("logo"), upload_to="company/", blank=True)
    default_payment_terms = models.CharField(
        _("conditions de paiement par défaut"), max_length=20, choices=PaymentTerms.choices, default=PaymentTerms.NET_30
    )
    late_penalty_rate = fields.DecimalField(
        _("taux des pénalités de retard (%)"),
        max_digits=6,
        decimal_places=3,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_(
            "Obligatoire sur les factures entre professionnels ; par défaut : taux directeur de la BCE "
            "+ 10 points (C. com. L441-10)."
        ),
    )
    early_payment_terms = models.CharField(
        _("conditions d'escompte"), max_length=200, default="Pas d'escompte pour paiement anticipé."
    )
    oss_registered = models.BooleanField(
        _("inscrit au guichet unique OSS"),
        default=False,
        help_text=_("Ventes à distance aux particuliers de l'UE taxées à la TVA du pays de destination."),
    )
    oss_threshold = fields.DecimalField(
        _("seuil des ventes à distance UE (€ HT)"),
        max_digits=12,
        decimal_places=2,
        default=10000,
        help_text=_("Au-delà, sur l'année en cours ou la précédente, la TVA du pays de destination s'applique."),
    )
    allow_negative_stock = models.BooleanField(
        _("autoriser le stock négatif"),
        default=False,
        help_text=_("Si la case est décochée, une sortie de stock au-delà du stock physique est refusée."),
    )
    delivery_note_without_prices = models.BooleanField(
        _("bons de livraison sans prix"),
        default=False,
        help_text=_("Cochée, le bon de livraison n'indique que les quantités : ni prix ni montants (colis offert, revendeur…)."),
    )
    send_reminders_automatically = models.BooleanField(
        _("envoyer les relances automatiquement"),
        default=False,
        help_text=_("Décochée, les relances du jour attendent la validation d'un membre de l'équipe."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("entreprise")
        verbose_name_plural = _("entreprise")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="company_single_row")]

    def __str__(self):
        return self.name

    @property
    def display_name(self):
        return self.trade_name or self.name

    def clean(self):
        errors = {}
        if not self.late_penalty_rate:
            errors["late_penalty_rate"] = _(
                "Indiquez le taux des pénalités de retard : il figure sur chaque facture (C. com. L441-10)."
            )
        mismatch = validators.french_vat_mismatch(self.vat_number or "", self.siren or "")
        if mismatch:
            errors["vat_number"] = mismatch
        if errors:
            raise ValidationError(errors)
        if self.siret and self.siren and not self.siret.startswith(self.siren):
            raise ValidationError({"siret": _("Le SIRET doit commencer par le SIREN %(siren)s.") % {"siren": self.siren}})


class Sequence(models.Model):
    """A gapless counter. Read and incremented under a row lock inside the caller's transaction,
    so a rolled-back transaction gives its number back and no two transactions share one."""

    code = models.CharField(max_length=50)
    period = models.CharField(max_length=10, blank=True, default="", help_text=_("année pour les séries annuelles"))
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("séquence")
        constraints = [models.UniqueConstraint(fields=["code", "period"], name="sequence_unique_code_period")]

    def __str__(self):
        return f"{self.code}{'/' + self.period if self.period else ''}: {self.last_value}"


class ApiToken(models.Model):
    """An API key for integrators. Only its SHA-256 is stored; the key is shown once, at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=100)
    prefix = models.CharField(_("début de la clé"), max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class Job(models.Model):
    """Long work done by a Celery task (label sheets, exports, archives, syncs): the page that
    started it polls this row to show progress, then offers the result file. ``task`` names the
    task that runs it, and the run in progress says it is alive (``heartbeat_at``, ``worker``):
    ``lmb.jobs`` re-queues a job whose worker died (see its docstring)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    kind = models.CharField(_("type"), max_length=50)
    title = models.CharField(_("titre"), max_length=200)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progression (%)"), default=0)
    message = models.TextField(_("message"), blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    result = models.FileField(_("fichier produit"), upload_to="jobs/%Y/%m/", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task = models.CharField(_("tâche Celery"), max_length=200, blank=True)
    queued_at = models.DateTimeField(_("mise en file le"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("exécutions commencées"), default=0)
    heartbeat_at = models.DateTimeField(_("dernier signe de vie"), null=True, blank=True)
    worker = models.CharField(_("processus"), max_length=200, blank=True, help_text="host:pid of the run in progress")

    class Meta:
        verbose_name = _("tâche de fond")
        verbose_name_plural = _("tâches de fond")
        ordering = ["-created_at"]
        # The sweeper's two questions: running jobs by heartbeat, pending jobs by queue time.
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="lmb_job_status_heartbeat_idx")]

    def __str__(self):
        return self.title

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ImportJob(models.Model):
    """A spreadsheet import: checked first (the preview), written only when the user confirms.

    A large file is checked, and its valid rows written, by a background ``Job`` (``job``) whose
    progress the import page shows; its rows are kept one per ``ImportRow``."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Vérification en cours")
        PREVIEW = "preview", _("Aperçu")
        IMPORTING = "importing", _("Import en cours")
        DONE = "done", _("Importé")
        CANCELLED = "cancelled", _("Annulé")
        FAILED = "failed", _("Échec")

    kind = models.CharField(_("type"), max_length=50)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PREVIEW)
    filename = models.CharField(_("fichier"), max_length=255)
    file = models.FileField(_("fichier envoyé"), upload_to="imports/%Y/%m/", blank=True, help_text="kept for the worker")
    job = models.ForeignKey("Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    message = models.TextField(_("message"), blank=True, help_text="why the file could not be read")
    columns = models.JSONField(default=list)
    ignored_columns = models.JSONField(default=list, help_text="headers of the file that match no column")
    row_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} — {self.filename}"

    @property
    def valid_count(self):
        return self.row_count - self.rejected_count

    @property
    def errors(self) -> list[dict]:
        """Every problem found, ``{row, column, message}``, in row order (small imports, tests)."""
        return [
            {"row": number, **error}
            for number, errors in self.rows.filter(state=ImportRow.State.REJECTED).values_list("number", "errors")
            for error in errors
        ]


class ImportRow(models.Model):
    """One non-empty row of an imported file, with the problems found in it."""

    class State(models.TextChoices):
        VALID = "valid", _("Valide")
        REJECTED = "rejected", _("Rejetée")
        IMPORTED = "imported", _("Importée")

    import_job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(help_text="the row number the user sees in the file")
    values = models.JSONField(default=dict, help_text="{column name: cell text}")
    errors = models.JSONField(default=list, help_text="[{column, message}]")
    state = models.CharField(max_length=10, choices=State.choices, default=State.VALID)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["import_job", "number"], name="lmb_importrow_unique_number")]
        indexes = [models.Index(fields=["import_job", "state", "number"], name="lmb_importrow_state")]
        ordering = ["number"]

    def __str__(self):
        return f"{self.import_job_id} — ligne {self.number}"


class IdempotencyRecord(models.Model):
    """The answer given to a POST that carried an ``Idempotency-Key``: the same key from the same
    user gets the same answer again, and the money or document is created once."""

    key = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    method_path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="lmb_idempotency_unique_key")]

    def __str__(self):
        return f"{self.user_id} {self.key}"
