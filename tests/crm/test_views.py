import pytest
from django.urls import reverse
from django.utils import timezone

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
