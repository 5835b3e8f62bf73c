import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm import services
from crm.models import ThirdParty, TimelineEntry
from lmb import roles
from tests.factories import ThirdPartyFactory, valid_siren
from tests.helpers import page_text

pytestmark = pytest.mark.django_db


def customer_form(**changes):
    return {
        "kind": "company",
        "name": "Crêperie Ker Avel",
        "is_customer": "on",
        "customer_category": "business",
        "payment_terms": "net_30",
        "is_active": "on",
        "address-country": "FR",
        **changes,
    }


def test_creating_a_customer_shows_a_bad_siret_beside_the_field_then_accepts_a_good_one(admin_client):
    url = reverse("crm:thirdparty_create")
    response = admin_client.post(url, customer_form(siret="12345678901234"))
    assert response.status_code == 200
    page = page_text(response)
    assert 'data-error-for="siret"' in page and "Le SIRET « 12345678901234 » n'est pas valide" in page
    assert not ThirdParty.objects.exists()
    siren = valid_siren(11)
    from stdnum import luhn

    siret = siren + "0001" + luhn.calc_check_digit(siren + "0001")
    response = admin_client.post(
        url,
        customer_form(siret=siret, **{"address-line1": "3 rue du Port", "address-postal_code": "29200", "address-city": "Brest"}),
    )
    customer = ThirdParty.objects.get()
    assert response["Location"] == customer.get_absolute_url()
    assert customer.siren == siren and customer.addresses.get().city == "Brest"


def test_an_incomplete_first_address_is_refused_with_the_customer(admin_client):
    response = admin_client.post(reverse("crm:thirdparty_create"), customer_form(**{"address-line1": "3 rue du Port"}))
    assert response.status_code == 200 and "obligatoire pour enregistrer l'adresse" in page_text(response)
    assert not ThirdParty.objects.exists()


def test_logging_a_call_with_htmx_returns_the_refreshed_timeline(admin_client):
    customer = ThirdPartyFactory()
    url = reverse("crm:log_interaction", args=[customer.pk])
    bad = admin_client.post(url, {"kind": "call", "subject": ""}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and 'data-error-for="subject"' in page_text(bad)
    response = admin_client.post(
        url,
        {"kind": "call", "direction": "in", "subject": "Demande de disponibilité", "body": "Rappeler jeudi"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    page = page_text(response)
    assert 'id="timeline"' in page and "Demande de disponibilité" in page and "<nav" not in page
    entry = TimelineEntry.objects.get()
    assert entry.author.username == "claire" and entry.kind == "call"
    detail = page_text(admin_client.get(customer.get_absolute_url()))
    assert "Demande de disponibilité" in detail


def test_logging_without_htmx_redirects_back(admin_client):
    customer = ThirdPartyFactory()
    response = admin_client.post(reverse("crm:log_interaction", args=[customer.pk]), {"kind": "note", "subject": "Note"})
    assert response.status_code == 302 and response["Location"] == customer.get_absolute_url()


def test_third_party_list_filters_and_export(admin_client, django_assert_max_num_queries):
    for index in range(55):
        ThirdPartyFactory(addresses=[{"line1": f"{index} rue", "postal_code": "35000", "city": "Rennes"}])
    ThirdPartyFactory(
        name="Feinkost Müller", addresses=[{"line1": "Str. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}]
    )
    ThirdPartyFactory(name="Faïencerie", is_customer=False, is_supplier=True)
    url = reverse("crm:thirdparty_list")
    with django_assert_max_num_queries(12):
        page = admin_client.get(url, {"sort": "-name"})
    assert page.context["paginator"].count == 57
    assert admin_client.get(url, {"country": "DE"}).context["paginator"].count == 1
    assert admin_client.get(url, {"role": "supplier"}).context["paginator"].count == 1
    assert admin_client.get(url, {"q": "müller"}).context["paginator"].count == 1
    export = admin_client.get(url, {"country": "DE", "export": "ods"})
    assert export.status_code == 200 and export["Content-Type"].endswith("opendocument.spreadsheet")


def test_a_third_party_code_opens_its_page_from_the_search_box(admin_client):
    customer = ThirdPartyFactory()
    response = admin_client.get(reverse("search"), {"q": customer.code})
    assert response["Location"] == customer.get_absolute_url()


def test_agenda_and_task_completion(admin_client, admin_user):
    customer = ThirdPartyFactory()
    today = timezone.localdate()
    overdue = services.create_task(
        title="Relancer le devis", assignee=admin_user, third_party=customer, due_date=today - timezone.timedelta(days=2)
    )
    services.create_task(title="Préparer la commande", assignee=admin_user, due_date=today)
    page = admin_client.get(reverse("crm:agenda"))
    assert [t.title for t in page.context["agenda"]["overdue"]] == ["Relancer le devis"]
    assert [t.title for t in page.context["agenda"]["today"]] == ["Préparer la commande"]
    response = admin_client.post(reverse("crm:task_complete", args=[overdue.pk]), HTTP_HX_REQUEST="true")
    assert "fait" in page_text(response)
    overdue.refresh_from_db()
    assert overdue.is_done
    home = page_text(admin_client.get(reverse("home")))
    assert "Préparer la commande" in home


def test_task_form_takes_a_third_party_code(admin_client, admin_user):
    customer = ThirdPartyFactory(name="Cave des Halles")
    suggestions = admin_client.get(reverse("crm:thirdparty_suggest"), {"field": "third_party", "third_party": "halles"})
    assert customer.code in page_text(suggestions)
    data = {"title": "Livrer", "assignee": admin_user.pk, "due_date": timezone.localdate().isoformat(), "priority": "normal"}
    bad = admin_client.post(reverse("crm:task_create"), {**data, "third_party": "T999999"})
    assert "Aucun tiers ne porte ce code" in page_text(bad)
    admin_client.post(reverse("crm:task_create"), {**data, "third_party": customer.code})
    assert customer.tasks.get().title == "Livrer"


def _options(page: str, select_name: str) -> list[str]:
    select = re.search(rf'<select name="{select_name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select)]


def test_assignees_are_chosen_and_listed_by_their_full_name(admin_client, admin_user, make_user):
    """The assignee list showed logins (« user12 », « ventes »): people are named, sorted by
    name; the login only stands in for a user who has no name."""
    make_user(roles.SALES, username="ymorvan", first_name="Yann", last_name="Morvan")
    make_user(roles.WAREHOUSE, username="entrepot2", first_name="", last_name="")
    admin_user.first_name, admin_user.last_name = "Claire", "Le Goff"
    admin_user.save()
    services.create_task(title="Rappeler", assignee=admin_user, due_date=timezone.localdate())
    form = page_text(admin_client.get(reverse("crm:task_create")))
    assert _options(form, "assignee") == ["---------", "entrepot2", "Claire Le Goff", "Yann Morvan"]
    tasks = page_text(admin_client.get(reverse("crm:task_list")))
    assert _options(tasks, "assignee") == ["Tout le monde", "entrepot2", "Claire Le Goff", "Yann Morvan"]
    assert "<td>Claire Le Goff</td>" in tasks
    export = admin_client.get(reverse("crm:task_list"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    assert "Claire Le Goff" in [cell.value for cell in sheet[2]]


def test_incident_list_and_status_change(role_client):
    client = role_client(roles.CUSTOMER_SERVICE)
    customer = ThirdPartyFactory()
    incident = services.log_interaction(third_party=customer, kind="incident", subject="Colis endommagé")
    listing = client.get(reverse("crm:incident_list"), {"incident_status": "open"})
    assert listing.context["paginator"].count == 1
    client.post(reverse("crm:incident_status", args=[incident.pk]), {"status": "closed"})
    incident.refresh_from_db()
    assert incident.incident_status == "closed"
    assert client.get(reverse("crm:incident_list"), {"incident_status": "open"}).context["paginator"].count == 0


def test_attachments_are_checked_and_only_downloaded(admin_client, role_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    customer = ThirdPartyFactory()
    url = reverse("crm:log_interaction", args=[customer.pk])
    html = SimpleUploadedFile("note.html", b"<script>alert(1)</script>", content_type="text/html")
    refused = admin_client.post(url, {"kind": "note", "subject": "Note", "attachments": html}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and "type de fichier" in page_text(refused)
    pdf = SimpleUploadedFile("devis.pdf", b"%PDF-1.4", content_type="application/pdf")
    admin_client.post(url, {"kind": "note", "subject": "Devis", "attachments": pdf})
    attachment = TimelineEntry.objects.get(subject="Devis").attachments.get()
    download = admin_client.get(reverse("crm:attachment_download", args=[attachment.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert admin_client.get("/media/" + attachment.file.name).status_code == 404  # never served inline
    no_files = role_client(roles.WAREHOUSE)
    other = SimpleUploadedFile("photo.jpg", b"jpeg", content_type="image/jpeg")
    response = no_files.post(url, {"kind": "note", "subject": "Photo", "attachments": other}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "joindre des fichiers" in page_text(response)


def test_redirects_stay_on_the_site(admin_client, admin_user):
    task = services.create_task(title="Rappeler", assignee=admin_user, due_date=timezone.localdate())
    response = admin_client.post(reverse("crm:task_complete", args=[task.pk]), {"next": "https://evil.example/phish"})
    assert response["Location"] == reverse("crm:agenda")


def test_older_exchanges_load_on_demand(admin_client):
    customer = ThirdPartyFactory()
    now = timezone.now()
    for day in range(35):
        services.log_interaction(
            third_party=customer, kind="note", subject=f"Note {day:02d}", occurred_at=now - timezone.timedelta(days=day)
        )
    page = page_text(admin_client.get(customer.get_absolute_url()))
    assert "Note 29" in page and "Note 30" not in page and "plus anciens" in page
    older = page_text(admin_client.get(reverse("crm:timeline_more", args=[customer.pk]), {"offset": 30}))
    assert "Note 30" in older and "Note 34" in older and "Note 29" not in older and "plus anciens" not in older


def test_a_new_company_is_a_business_customer_and_a_person_a_consumer(api_client):
    api = api_client()
    company = api.post("/api/v1/third-parties/", {"name": "Cave des Halles"}, format="json").json()
    person = api.post("/api/v1/third-parties/", {"kind": "individual", "last_name": "Riou"}, format="json").json()
    assert (company["customer_category"], person["customer_category"]) == ("business", "consumer")
