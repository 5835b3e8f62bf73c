"""Back-office screens for third parties, their timeline, incidents and the agenda."""

import django_filters
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Exists, OuterRef
from django.forms import DateInput
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from django.views.decorators.http import require_POST

from lmb.access import permission_required
from lmb.countries import country_choices
from lmb.errors import DomainError
from lmb.forms import ServiceFormMixin, add_domain_error, user_label
from lmb.lists import ListView, search, yes_no_filter
from lmb.spreadsheets import Column
from lmb.views import safe_next

from . import mailing, queries, services
from .forms import (
    AddressForm,
    ContactForm,
    EmailForm,
    EmailTemplateForm,
    FirstAddressForm,
    IncidentStatusForm,
    TaskForm,
    ThirdPartyForm,
    TimelineEntryForm,
)
from .models import Address, Contact, CustomerCategory, EmailTemplate, Task, ThirdParty, TimelineAttachment, TimelineEntry
from .tabs import tabs_for
from .timeline import timeline_for

# --- Third parties -----------------------------------------------------------------------------


class ThirdPartyFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(
        label=gettext_lazy("Rôle"),
        choices=[
            ("customer", gettext_lazy("Clients")),
            ("prospect", gettext_lazy("Prospects")),
            ("supplier", gettext_lazy("Fournisseurs")),
        ],
        method="filter_role",
        empty_label=gettext_lazy("Tous"),
    )
    customer_category = django_filters.ChoiceFilter(
        label=gettext_lazy("Catégorie"), choices=CustomerCategory.choices, empty_label=gettext_lazy("Toutes")
    )
    country = django_filters.ChoiceFilter(
        label=gettext_lazy("Pays"), choices=country_choices, method="filter_country", empty_label=gettext_lazy("Tous")
    )
    is_active = yes_no_filter(gettext_lazy("Actif"))

    class Meta:
        model = ThirdParty
        fields = ["role", "customer_category", "country", "is_active"]

    def filter_role(self, queryset, name, value):
        return queryset.filter(**{f"is_{value}": True}) if value in {"customer", "prospect", "supplier"} else queryset

    def filter_country(self, queryset, name, value):
        billing_in = Address.objects.filter(third_party=OuterRef("pk"), kind=Address.Kind.BILLING, country=value)
        return queryset.filter(Exists(billing_in))


def _billing(field):
    """Export column reader: a field of the default billing address."""

    def read(third_party):
        address = queries.billing_address(third_party)
        return getattr(address, field) if address else ""

    return read


class ThirdPartyListView(ListView):
    model = ThirdParty
    permission_required = "crm.view_thirdparty"
    template_name = "crm/thirdparty_list.html"
    results_template_name = "crm/_thirdparty_results.html"
    filterset_class = ThirdPartyFilter
    search_fields = ("name", "code", "email", "siren", "phone")
    search_placeholder = gettext_lazy("Nom, code, e-mail, SIREN, téléphone…")
    sort_fields = {
        "code": ("code",),
        "name": ("name",),
        "category": ("customer_category", "name"),
        "created": ("created_at",),
    }
    default_sort = "name"
    export_name = "tiers"
    export_columns = [
        Column(gettext_lazy("Code"), "code"),
        Column(gettext_lazy("Nom"), "name"),
        Column(gettext_lazy("Type"), lambda tp: tp.get_kind_display()),
        Column(gettext_lazy("Rôles"), "roles_display"),
        Column(gettext_lazy("Catégorie"), lambda tp: tp.get_customer_category_display()),
        Column(gettext_lazy("SIREN"), "siren"),
        Column(gettext_lazy("SIRET"), "siret"),
        Column(gettext_lazy("N° TVA"), "vat_number"),
        Column(gettext_lazy("E-mail"), "email"),
        Column(gettext_lazy("Téléphone"), "phone"),
        Column(gettext_lazy("Adresse"), _billing("line1")),
        Column(gettext_lazy("Complément"), _billing("line2")),
        Column(gettext_lazy("Code postal"), _billing("postal_code")),
        Column(gettext_lazy("Ville"), _billing("city")),
        Column(gettext_lazy("Pays"), _billing("country")),
        Column(gettext_lazy("Compte client"), "customer_account"),
        Column(gettext_lazy("Compte fournisseur"), "supplier_account"),
        Column(gettext_lazy("Actif"), "is_active"),
        Column(gettext_lazy("Créé le"), "created_at"),
    ]

    def get_base_queryset(self):
        return queries.third_parties()


class ThirdPartyDetailView(PermissionRequiredMixin, generic.DetailView):
    model = ThirdParty
    permission_required = "crm.view_thirdparty"
    template_name = "crm/thirdparty_detail.html"
    context_object_name = "third_party"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        third_party = self.object
        context.update(
            addresses=third_party.addresses.all(),
            contacts=third_party.contacts.all(),
            timeline=timeline_for(third_party, limit=TIMELINE_PAGE + 1),
            timeline_page=TIMELINE_PAGE,
            timeline_form=TimelineEntryForm(third_party=third_party, initial={"kind": TimelineEntry.Kind.CALL}),
            tasks=third_party.tasks.filter(done_at=None).select_related("assignee"),
            third_party_tabs=tabs_for(self.request.user, third_party),
        )
        return context


class ThirdPartyCreateView(PermissionRequiredMixin, generic.CreateView):
    model = ThirdParty
    form_class = ThirdPartyForm
    permission_required = "crm.add_thirdparty"
    template_name = "crm/thirdparty_form.html"

    def get_initial(self):
        role = self.request.GET.get("role")
        initial = {}
        if role == "supplier":
            initial.update(is_supplier=True, is_customer=False, customer_category=CustomerCategory.BUSINESS)
        elif role == "prospect":
            initial.update(is_prospect=True, is_customer=False)
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("address_form", FirstAddressForm(prefix="address"))
        return context

    def post(self, request, *args, **kwargs):
        self.object = None
        form = self.get_form()
        address_form = FirstAddressForm(request.POST, prefix="address")
        if form.is_valid() and address_form.is_valid():
            addresses = [] if address_form.is_empty() else [{**address_form.cleaned_data, "kind": Address.Kind.BILLING}]
            try:
                self.object = services.create_third_party(**form.cleaned_data, addresses=addresses)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Tiers « %(name)s » créé.") % {"name": self.object.name})
                return redirect(self.object)
        return self.render_to_response(self.get_context_data(form=form, address_form=address_form))


class ThirdPartyUpdateView(PermissionRequiredMixin, ServiceFormMixin, generic.UpdateView):
    model = ThirdParty
    form_class = ThirdPartyForm
    permission_required = "crm.change_thirdparty"
    template_name = "crm/thirdparty_form.html"
    success_message = gettext_lazy("Tiers « %(object)s » enregistré.")

    def perform(self, form):
        return services.update_third_party(self.object, **form.cleaned_data)

    def get_success_url(self):
        return reverse("crm:thirdparty_detail", args=[self.object.pk])


def thirdparty_suggest(request):
    """Options for the third-party code box: ``<option value="T000123">Name</option>``."""
    field = request.GET.get("field", "third_party")
    text = (request.GET.get(field) or "").strip()
    matches = []
    if len(text) >= 2 and request.user.has_perm("crm.view_thirdparty"):
        candidates = ThirdParty.objects.filter(is_active=True)
        if request.GET.get("role") in ("customer", "supplier", "prospect"):
            candidates = candidates.filter(**{f"is_{request.GET['role']}": True})
        matches = search(candidates, text, ("name", "code")).order_by("name")[:15]
    return render(request, "crm/_thirdparty_options.html", {"matches": matches})


# --- Addresses and contacts --------------------------------------------------------------------


class _ThirdPartyChildMixin(PermissionRequiredMixin, ServiceFormMixin):
    """Create/update views for an address or a contact, shown under their third party."""

    template_name = "crm/child_form.html"

    def get_third_party(self):
        if not hasattr(self, "_third_party"):
            self._third_party = get_object_or_404(ThirdParty, pk=self.kwargs["third_party_pk"])
        return self._third_party

    def get_queryset(self):
        return self.model.objects.filter(third_party=self.get_third_party())

    def get_context_data(self, **kwargs):
        return super().get_context_data(third_party=self.get_third_party(), title=self.title, **kwargs)

    def get_success_url(self):
        return reverse("crm:thirdparty_detail", args=[self.get_third_party().pk])


class AddressCreateView(_ThirdPartyChildMixin, generic.CreateView):
    model = Address
    form_class = AddressForm
    permission_required = "crm.add_address"
    title = gettext_lazy("Nouvelle adresse")
    success_message = gettext_lazy("Adresse ajoutée.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Address(third_party=self.get_third_party())
        return kwargs

    def perform(self, form):
        return services.add_address(self.get_third_party(), **form.cleaned_data)


class AddressUpdateView(_ThirdPartyChildMixin, generic.UpdateView):
    model = Address
    form_class = AddressForm
    permission_required = "crm.change_address"
    title = gettext_lazy("Modifier l'adresse")
    success_message = gettext_lazy("Adresse enregistrée.")

    def perform(self, form):
        return services.update_address(self.object, **form.cleaned_data)


class ContactCreateView(_ThirdPartyChildMixin, generic.CreateView):
    model = Contact
    form_class = ContactForm
    permission_required = "crm.add_contact"
    title = gettext_lazy("Nouveau contact")
    success_message = gettext_lazy("Contact « %(object)s » ajouté.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = Contact(third_party=self.get_third_party())
        return kwargs

    def perform(self, form):
        return services.add_contact(self.get_third_party(), **form.cleaned_data)


class ContactUpdateView(_ThirdPartyChildMixin, generic.UpdateView):
    model = Contact
    form_class = ContactForm
    permission_required = "crm.change_contact"
    title = gettext_lazy("Modifier le contact")
    success_message = gettext_lazy("Contact « %(object)s » enregistré.")

    def perform(self, form):
        return services.update_contact(self.object, **form.cleaned_data)


@require_POST
@permission_required("crm.delete_address")
def address_delete(request, third_party_pk, pk):
    address = get_object_or_404(Address, pk=pk, third_party_id=third_party_pk)
    services.delete_address(address)
    messages.success(request, _("Adresse supprimée."))
    return redirect("crm:thirdparty_detail", pk=third_party_pk)


@require_POST
@permission_required("crm.delete_contact")
def contact_delete(request, third_party_pk, pk):
    contact = get_object_or_404(Contact, pk=pk, third_party_id=third_party_pk)
    services.delete_contact(contact)
    messages.success(request, _("Contact supprimé."))
    return redirect("crm:thirdparty_detail", pk=third_party_pk)


# --- Timeline ----------------------------------------------------------------------------------

TIMELINE_PAGE = 30


@permission_required("crm.view_thirdparty")
def timeline_more(request, pk):
    """Older exchanges, appended under the timeline by htmx ("voir les plus anciens")."""
    third_party = get_object_or_404(ThirdParty, pk=pk)
    try:
        offset = max(0, int(request.GET.get("offset", 0)))
    except ValueError:
        offset = 0
    items = timeline_for(third_party, limit=TIMELINE_PAGE + 1, offset=offset)
    return render(
        request,
        "crm/_timeline_items.html",
        {
            "third_party": third_party,
            "timeline": items,
            "timeline_page": TIMELINE_PAGE,
            "offset": offset,
        },
    )


@require_POST
@permission_required("crm.add_timelineentry")
def log_interaction(request, pk):
    """The form under the timeline: saves the exchange and, with htmx, re-renders the timeline
    block (new entry on top, empty form); errors come back beside their field."""
    third_party = get_object_or_404(ThirdParty, pk=pk)
    form = TimelineEntryForm(request.POST, request.FILES, third_party=third_party)
    saved = False
    if request.FILES and not request.user.has_perm("crm.add_timelineattachment"):
        form.add_error("attachments", _("Votre rôle ne permet pas de joindre des fichiers."))
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.log_interaction(third_party=third_party, author=request.user, **data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            saved = True
            form = TimelineEntryForm(third_party=third_party, initial={"kind": data["kind"]})
    if not request.htmx:
        if saved:
            messages.success(request, _("Échange enregistré."))
            return redirect("crm:thirdparty_detail", pk=pk)
        return render(request, "crm/timeline_form_page.html", {"third_party": third_party, "timeline_form": form}, status=400)
    context = {
        "third_party": third_party,
        "timeline": timeline_for(third_party, limit=TIMELINE_PAGE + 1),
        "timeline_page": TIMELINE_PAGE,
        "timeline_form": form,
        "saved": saved,
    }
    return render(request, "crm/_timeline.html", context, status=200 if saved or form.is_valid() else 422)


@permission_required("crm.view_timelineentry")
def attachment_download(request, pk):
    attachment = get_object_or_404(TimelineAttachment, pk=pk)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)


class IncidentFilter(django_filters.FilterSet):
    incident_status = django_filters.ChoiceFilter(
        label=gettext_lazy("Statut"), choices=TimelineEntry.IncidentStatus.choices, empty_label=gettext_lazy("Tous")
    )

    class Meta:
        model = TimelineEntry
        fields = ["incident_status"]


class IncidentListView(ListView):
    model = TimelineEntry
    permission_required = "crm.view_timelineentry"
    template_name = "crm/incident_list.html"
    results_template_name = "crm/_incident_results.html"
    filterset_class = IncidentFilter
    search_fields = ("subject", "body", "third_party__name", "third_party__code")
    search_placeholder = gettext_lazy("Objet, texte, client…")
    sort_fields = {"date": ("occurred_at",), "status": ("incident_status", "-occurred_at"), "customer": ("third_party__name",)}
    default_sort = "-date"
    export_name = "incidents"
    export_columns = [
        Column(gettext_lazy("Date"), "occurred_at"),
        Column(gettext_lazy("Tiers"), "third_party.name"),
        Column(gettext_lazy("Objet"), "subject"),
        Column(gettext_lazy("Statut"), lambda entry: entry.get_incident_status_display()),
        Column(gettext_lazy("Auteur"), lambda entry: user_label(entry.author) if entry.author else ""),
        Column(gettext_lazy("Texte"), "body"),
    ]

    def get_base_queryset(self):
        return queries.incidents()


@require_POST
@permission_required("crm.change_timelineentry")
def incident_status(request, pk):
    entry = get_object_or_404(TimelineEntry, pk=pk, kind=TimelineEntry.Kind.INCIDENT)
    form = IncidentStatusForm(request.POST)
    if form.is_valid():
        try:
            services.change_incident_status(entry, author=request.user, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Statut de l'incident mis à jour."))
    else:
        messages.error(request, _("Statut inconnu."))
    return redirect(safe_next(request, reverse("crm:thirdparty_detail", args=[entry.third_party_id])))


# --- Tasks and agenda --------------------------------------------------------------------------


class TaskFilter(django_filters.FilterSet):
    assignee = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Assignée à"),
        queryset=get_user_model().objects.filter(is_active=True),
        empty_label=gettext_lazy("Tout le monde"),
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("État"),
        choices=[("open", gettext_lazy("À faire")), ("done", gettext_lazy("Faites"))],
        method="filter_status",
        empty_label=gettext_lazy("Toutes"),
    )
    due_before = django_filters.DateFilter(
        label=gettext_lazy("Échéance jusqu'au"),
        field_name="due_date",
        lookup_expr="lte",
        widget=DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Task
        fields = ["assignee", "status", "due_before"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(done_at__isnull=value == "open")


class TaskListView(ListView):
    model = Task
    permission_required = "crm.view_task"
    template_name = "crm/task_list.html"
    results_template_name = "crm/_task_results.html"
    filterset_class = TaskFilter
    search_fields = ("title", "description", "third_party__name")
    search_placeholder = gettext_lazy("Titre, tiers…")
    sort_fields = {"due": ("due_date", "due_time"), "priority": ("priority", "due_date"), "title": ("title",)}
    default_sort = "due"
    export_name = "taches"
    export_columns = [
        Column(gettext_lazy("Échéance"), "due_date"),
        Column(gettext_lazy("Titre"), "title"),
        Column(gettext_lazy("Tiers"), "third_party.name"),
        Column(gettext_lazy("Assignée à"), lambda task: user_label(task.assignee)),
        Column(gettext_lazy("Priorité"), lambda task: task.get_priority_display()),
        Column(gettext_lazy("Faite le"), "done_at"),
    ]

    def get_base_queryset(self):
        return Task.objects.select_related("third_party", "assignee")


@permission_required("crm.view_task")
def agenda(request):
    return render(request, "crm/agenda.html", {"agenda": queries.agenda_of(request.user)})


class TaskCreateView(PermissionRequiredMixin, ServiceFormMixin, generic.CreateView):
    model = Task
    form_class = TaskForm
    permission_required = "crm.add_task"
    template_name = "crm/task_form.html"
    success_message = gettext_lazy("Tâche « %(object)s » créée.")

    def get_initial(self):
        initial = {"assignee": self.request.user, "due_date": timezone.localdate()}
        third_party_pk = self.request.GET.get("third_party", "")
        if third_party_pk.isdigit():
            initial["third_party"] = ThirdParty.objects.filter(pk=third_party_pk).first()
        return initial

    def perform(self, form):
        return services.create_task(**form.cleaned_data, created_by=self.request.user)

    def get_success_url(self):
        if self.object.third_party_id:
            return reverse("crm:thirdparty_detail", args=[self.object.third_party_id])
        return reverse("crm:agenda")


class TaskUpdateView(PermissionRequiredMixin, ServiceFormMixin, generic.UpdateView):
    model = Task
    form_class = TaskForm
    permission_required = "crm.change_task"
    template_name = "crm/task_form.html"
    success_message = gettext_lazy("Tâche « %(object)s » enregistrée.")

    def perform(self, form):
        return services.update_task(self.object, **form.cleaned_data)

    def get_success_url(self):
        return reverse("crm:agenda")


@require_POST
@permission_required("crm.change_task")
def task_complete(request, pk):
    task = get_object_or_404(Task, pk=pk)
    try:
        services.complete_task(task)
    except DomainError as error:
        messages.error(request, error.message)
    if request.htmx:
        return render(request, "crm/_task_row.html", {"task": task})
    return redirect(safe_next(request, reverse("crm:agenda")))


# --- Documents by e-mail -------------------------------------------------------------------------


def email_document_page(request, *, document, back_url: str, nav_template: str):
    """The "send by e-mail" page of any registered document (``crm.mailing``): the address, the
    text the company's template gives, the PDF. The caller has checked the user's permissions."""
    form = EmailForm(request.POST or None, initial={"recipient": mailing.default_recipient(document)})
    if request.method == "POST" and form.is_valid():
        try:
            address = mailing.send_document_email(document=document, recipient=form.cleaned_data["recipient"], user=request.user)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, _("Envoi à %(address)s en cours : il apparaîtra sur la chronologie du tiers.") % {"address": address}
            )
            return redirect(back_url)
    subject, body = mailing.compose(document)
    context = {
        "form": form,
        "document": document,
        "subject": subject,
        "body": body,
        "back_url": back_url,
        "nav_template": nav_template,
    }
    return render(request, "crm/email_form.html", context, status=400 if form.errors else 200)


@permission_required("crm.view_emailtemplate")
def email_templates(request):
    labels = mailing.template_types()
    templates = sorted(EmailTemplate.objects.filter(document_type__in=labels), key=lambda template: str(template))
    return render(request, "crm/email_templates.html", {"templates": templates})


@permission_required("crm.change_emailtemplate")
def email_template_edit(request, document_type):
    template = get_object_or_404(EmailTemplate, document_type=document_type)
    form = EmailTemplateForm(request.POST or None, instance=template)
    names = ", ".join(f"{{{name}}}" for name in mailing.placeholders_of(document_type))
    form.fields["body"].help_text = _("Remplacés à l'envoi : %(names)s.") % {"names": names}
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Modèle « %(name)s » enregistré.") % {"name": template})
        return redirect("crm:email_templates")
    context = {"form": form, "template": template}
    return render(request, "crm/email_template_form.html", context, status=400 if form.errors else 200)
