"""Third parties (customers, prospects, suppliers), their addresses and contacts, the timeline of
every exchange with them, and the tasks of the team's agenda."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lmb.countries import country_choices, country_name, validate_country
from lmb.fields import SirenField, SiretField, VatNumberField
from lmb.models import InvoicingPolicy, LegalForm, PaymentTerms
from lmb.validators import french_vat_mismatch


class CustomerCategory(models.TextChoices):
    CONSUMER = "consumer", _("Particulier")
    BUSINESS = "business", _("Entreprise")
    PUBLIC = "public", _("Administration publique")
    RESELLER = "reseller", _("Revendeur")


class Civility(models.TextChoices):
    MR = "M.", "M."
    MRS = "Mme", "Mme"


class ThirdParty(models.Model):
    """A company or a person we deal with: customer, prospect and/or supplier."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Société")
        INDIVIDUAL = "individual", _("Particulier")

    code = models.CharField(_("code"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.COMPANY)
    name = models.CharField(
        _("nom"), max_length=200, blank=True, help_text=_("Raison sociale, ou « NOM Prénom » d'un particulier.")
    )
    civility = models.CharField(_("civilité"), max_length=5, choices=Civility.choices, blank=True)
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    last_name = models.CharField(_("nom de famille"), max_length=100, blank=True)
    legal_form = models.CharField(_("forme juridique"), max_length=20, choices=LegalForm.choices, blank=True)
    is_customer = models.BooleanField(_("client"), default=True)
    is_prospect = models.BooleanField(_("prospect"), default=False)
    is_supplier = models.BooleanField(_("fournisseur"), default=False)
    customer_category = models.CharField(
        _("catégorie de client"), max_length=20, choices=CustomerCategory.choices, default=CustomerCategory.BUSINESS
    )
    siren = SirenField(_("SIREN"))
    siret = SiretField(_("SIRET"))
    vat_number = VatNumberField(_("n° TVA intracommunautaire"))
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    mobile = models.CharField(_("mobile"), max_length=30, blank=True)
    website = models.URLField(_("site web"), blank=True)
    payment_terms = models.CharField(
        _("conditions de paiement"), max_length=20, choices=PaymentTerms.choices, default=PaymentTerms.NET_30
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("délai personnalisé (jours)"), null=True, blank=True, validators=[MaxValueValidator(60)]
    )
    invoicing_policy = models.CharField(
        _("facturation"),
        max_length=20,
        choices=InvoicingPolicy.choices,
        blank=True,
        help_text=_("Vide : la règle du canal de vente de la commande."),
    )
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers_followed",
        verbose_name=_("commercial"),
        help_text=_("Qui suit ce client : filtres de la balance âgée et des statistiques, appels de relance."),
    )
    customer_account = models.CharField(
        _("compte auxiliaire client"),
        max_length=20,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Sous-compte du 411 pour la comptabilité ; généré automatiquement."),
    )
    supplier_account = models.CharField(
        _("compte auxiliaire fournisseur"),
        max_length=20,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Sous-compte du 401 pour la comptabilité ; généré automatiquement."),
    )
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("tiers")
        verbose_name_plural = _("tiers")
        indexes = [
            models.Index(fields=["name"], name="crm_tp_name_idx"),
            models.Index(fields=["customer_category", "name"], name="crm_tp_category_name_idx"),
            models.Index(fields=["siren"], name="crm_tp_siren_idx"),
            models.Index(fields=["created_at"], name="crm_tp_created_idx"),
            # The API's « changed since » walk (?ordering=updated_at&updated_at__gte=…), page by page.
            models.Index(fields=["updated_at", "id"], name="crm_tp_updated_sort"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_customer=True) | models.Q(is_prospect=True) | models.Q(is_supplier=True),
                name="crm_tp_has_a_role",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("crm:thirdparty_detail", args=[self.pk])

    @property
    def roles_display(self):
        roles = [(self.is_customer, _("client")), (self.is_prospect, _("prospect")), (self.is_supplier, _("fournisseur"))]
        return ", ".join(str(label) for present, label in roles if present)

    @property
    def is_business(self):
        return self.customer_category != CustomerCategory.CONSUMER

    def clean(self):
        errors = {}
        if self.kind == self.Kind.INDIVIDUAL:
            if not self.last_name:
                errors["last_name"] = _("Le nom de famille d'un particulier est obligatoire.")
            else:
                self.name = f"{self.last_name.upper()} {self.first_name}".strip()
        elif not self.name:
            errors["name"] = _("La raison sociale est obligatoire.")
        if not (self.is_customer or self.is_prospect or self.is_supplier):
            errors["is_customer"] = _("Cochez au moins un rôle : client, prospect ou fournisseur.")
        if self.siret and not self.siren:
            self.siren = self.siret[:9]
        if self.siret and self.siren and not self.siret.startswith(self.siren):
            errors["siret"] = _("Le SIRET doit commencer par le SIREN %(siren)s.") % {"siren": self.siren}
        mismatch = french_vat_mismatch(self.vat_number or "", self.siren or "")
        if mismatch:
            errors["vat_number"] = mismatch
        if self.payment_terms == PaymentTerms.CUSTOM and not self.payment_terms_days:
            errors["payment_terms_days"] = _("Indiquez le délai en jours (60 au plus, C. com. L441-10).")
        if errors:
            raise ValidationError(errors)


class Address(models.Model):
    class Kind(models.TextChoices):
        BILLING = "billing", _("Facturation")
        DELIVERY = "delivery", _("Livraison")
        OTHER = "other", _("Autre")

    third_party = models.ForeignKey(ThirdParty, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.BILLING)
    is_default = models.BooleanField(_("adresse par défaut"), default=True)
    label = models.CharField(_("libellé"), max_length=100, blank=True)
    recipient = models.CharField(_("destinataire"), max_length=200, blank=True)
    line1 = models.CharField(_("adresse"), max_length=200)
    line2 = models.CharField(_("complément"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=12)
    city = models.CharField(_("ville"), max_length=100)
    country = models.CharField(_("pays"), max_length=2, choices=country_choices, default="FR", validators=[validate_country])
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("adresse")
        ordering = ["kind", "-is_default", "pk"]
        indexes = [models.Index(fields=["third_party", "kind", "is_default"], name="crm_address_lookup_idx")]

    def __str__(self):
        return f"{self.line1}, {self.postal_code} {self.city} ({self.country})"

    @property
    def country_name(self):
        return country_name(self.country)

    def clean(self):
        if self.country == "FR" and not (self.postal_code.isdigit() and len(self.postal_code) == 5):
            raise ValidationError({"postal_code": _("Un code postal français compte 5 chiffres.")})


class Contact(models.Model):
    third_party = models.ForeignKey(ThirdParty, on_delete=models.CASCADE, related_name="contacts")
    civility = models.CharField(_("civilité"), max_length=5, choices=Civility.choices, blank=True)
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    last_name = models.CharField(_("nom"), max_length=100)
    job_title = models.CharField(_("fonction"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    mobile = models.CharField(_("mobile"), max_length=30, blank=True)
    is_primary = models.BooleanField(_("contact principal"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("contact")
        ordering = ["-is_primary", "last_name", "first_name"]

    def __str__(self):
        return " ".join(part for part in (self.civility, self.first_name, self.last_name) if part)


class TimelineEntry(models.Model):
    """One exchange with a third party: e-mail, call, letter, meeting, note or incident."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail")
        CALL = "call", _("Appel")
        LETTER = "letter", _("Courrier")
        MEETING = "meeting", _("Rendez-vous")
        NOTE = "note", _("Note")
        INCIDENT = "incident", _("Incident")

    class Direction(models.TextChoices):
        INCOMING = "in", _("Entrant")
        OUTGOING = "out", _("Sortant")

    class IncidentStatus(models.TextChoices):
        OPEN = "open", _("Ouvert")
        IN_PROGRESS = "in_progress", _("En cours")
        CLOSED = "closed", _("Clos")

    third_party = models.ForeignKey(ThirdParty, on_delete=models.PROTECT, related_name="timeline_entries")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.CALL)
    occurred_at = models.DateTimeField(_("date"), default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("auteur")
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("contact")
    )
    direction = models.CharField(_("sens"), max_length=3, choices=Direction.choices, blank=True)
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("texte"), blank=True)
    incident_status = models.CharField(_("statut de l'incident"), max_length=20, choices=IncidentStatus.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("échange")
        verbose_name_plural = _("chronologie")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["third_party", "-occurred_at"], name="crm_timeline_tp_date_idx"),
            models.Index(fields=["kind", "incident_status"], name="crm_timeline_incident_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="incident") & ~models.Q(incident_status=""))
                | (~models.Q(kind="incident") & models.Q(incident_status="")),
                name="crm_timeline_incident_has_status",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.subject}"

    def clean(self):
        if self.contact_id and self.third_party_id and self.contact.third_party_id != self.third_party_id:
            raise ValidationError({"contact": _("Ce contact n'appartient pas à ce tiers.")})


def attachment_path(instance, filename):
    return f"timeline/{timezone.now():%Y/%m}/{filename}"


class TimelineAttachment(models.Model):
    entry = models.ForeignKey(TimelineEntry, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("fichier"), upload_to=attachment_path)
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)

    class Meta:
        verbose_name = _("pièce jointe")

    def __str__(self):
        return self.original_name


class Task(models.Model):
    class Priority(models.TextChoices):
        LOW = "low", _("Basse")
        NORMAL = "normal", _("Normale")
        HIGH = "high", _("Haute")

    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    third_party = models.ForeignKey(
        ThirdParty, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks", verbose_name=_("tiers")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="crm_tasks", verbose_name=_("assignée à")
    )
    due_date = models.DateField(_("échéance"))
    due_time = models.TimeField(_("heure"), null=True, blank=True)
    priority = models.CharField(_("priorité"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    done_at = models.DateTimeField(_("faite le"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tâche")
        ordering = ["due_date", "due_time", "pk"]
        indexes = [models.Index(fields=["assignee", "done_at", "due_date"], name="crm_task_agenda_idx")]

    def __str__(self):
        return self.title

    @property
    def is_done(self):
        return self.done_at is not None

    @property
    def is_overdue(self):
        return not self.is_done and self.due_date < timezone.localdate()


class EmailTemplate(models.Model):
    """The text of the e-mail that carries a document to a third party, per document type, written
    by the company. The types and their ``{placeholders}`` are those the apps sending documents
    register with ``crm.mailing`` (crm knows none of them)."""

    document_type = models.CharField(_("type de document"), max_length=30, unique=True)
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("texte"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("modèle d'e-mail")
        verbose_name_plural = _("modèles d'e-mail")
        ordering = ["document_type"]

    def __str__(self):
        from .mailing import template_type_label  # the registry reads this module

        return template_type_label(self.document_type)
