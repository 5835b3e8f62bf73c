"""The screens of automatic invoicing (issue #22): the « à facturer » list with why each shipped note
waits and « Facturer maintenant », the grouped invoicing screen run now for a selection, the
sales channels' settings, and what the invoice, delivery note and customer pages say of it."""

from datetime import date

import pytest
from django.urls import reverse

from lmb import roles
from lmb.jobs import Job
from lmb.models import InvoicingPolicy
from sales import services
from sales.invoicing import services as invoicing
from sales.models import DeliveryNote, Invoice, InvoicingHold
from tests.helpers import get_counting_queries, page_text
from tests.sales.conftest import customer
from tests.sales.test_auto_invoicing import at, business_notes, close_until, web_order

LIST = reverse("sales:to_invoice_list")
GROUPED = reverse("sales:grouped_invoicing")
SEEING = [roles.ADMINISTRATOR, roles.SALES, roles.ACCOUNTANT, roles.CUSTOMER_SERVICE]


def shipped(order):
    """A shipped note whose subscribers did not run (no commit in a test): still to invoice."""
    return services.ship_delivery_note(services.create_delivery_note(order))


def manual_note(shop, name="Martin"):
    who = customer(name, business=False, invoicing_policy=InvoicingPolicy.MANUAL)
    return shipped(web_order(shop, who))


def rows(response) -> dict[str, str]:
    """The « à facturer » rows as text, by note number."""
    text = page_text(response)
    return {note.number: text for note in DeliveryNote.objects.all() if f'data-note="{note.number}"' in text}


# --- The « à facturer » list -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", SEEING)
def test_the_list_says_why_each_shipped_note_waits(role, shop, role_client):
    with at(date(2026, 11, 3)):
        manual = manual_note(shop)
        monthly = business_notes(shop, shop.bakery, [date(2026, 11, 3)])[0]
        web = shipped(web_order(shop))
    with at(date(2026, 11, 13)):
        response = role_client(role).get(LIST)
    assert response.status_code == 200
    text = page_text(response)
    for note in (manual, monthly, web):
        assert f'data-note="{note.number}"' in text
    assert "À facturer à la main" in text
    assert "Facture périodique le 30/11/2026" in text  # the month's end for the B2B channel
    assert "En cours" in text  # at shipment, no refusal: its subscriber is at work
    assert "10 j</td>" in text
    assert "Rien à facturer" not in text
    assert ("Facturer maintenant" in text) == (role in (roles.ADMINISTRATOR, roles.SALES))


@pytest.mark.django_db
def test_the_list_is_refused_to_the_warehouse_and_not_in_its_menu(shop, role_client):
    client = role_client(roles.WAREHOUSE)
    assert client.get(LIST).status_code == 403
    assert client.get(GROUPED).status_code == 403
    assert LIST not in page_text(client.get(reverse("sales:delivery_list")))


@pytest.mark.django_db
def test_a_refusal_shows_in_red_with_its_attempts_and_filters(shop, role_client, django_capture_on_commit_callbacks):
    with at(date(2026, 11, 20)):
        close_until(date(2026, 11, 20))
        with django_capture_on_commit_callbacks(execute=True):
            held = shipped(web_order(shop))
        manual = manual_note(shop)
        client = role_client(roles.SALES)
        response = client.get(LIST)
        text = page_text(response)
        assert "data-held" in text and "clôturée" in text
        assert "1 tentative, la dernière le 20/11/2026" in text

        only_held = page_text(client.get(LIST, {"held": "true"}))
        assert held.number in only_held and manual.number not in only_held
        only_manual = page_text(client.get(LIST, {"policy": InvoicingPolicy.MANUAL}))
        assert manual.number in only_manual and held.number not in only_manual
        by_channel = page_text(client.get(LIST, {"channel": shop.b2b.pk}))
        assert manual.number not in by_channel and held.number not in by_channel
        by_name = page_text(client.get(LIST, {"q": "martin"}))
        assert manual.number in by_name and held.number not in by_name
        bad = client.get(LIST, {"channel": "abc", "policy": "sometimes"})
        assert bad.status_code == 200 and "Sélectionnez un choix valide" in page_text(bad)


@pytest.mark.django_db
def test_the_list_exports_what_it_shows(shop, role_client):
    manual_note(shop)
    response = role_client(roles.ACCOUNTANT).get(LIST, {"export": "xlsx"})
    assert response.status_code == 200
    assert "a-facturer" in response["Content-Disposition"]


@pytest.mark.django_db
def test_the_list_takes_as_many_queries_for_thirty_notes_as_for_one(shop, admin_client, django_assert_max_num_queries):
    with at(date(2026, 11, 20)):
        first = manual_note(shop)
        InvoicingHold.objects.create(delivery_note=first, reason="Période close.", last_failed_at=first.shipped_at)
        _response, one = get_counting_queries(admin_client, LIST)
        for number in range(29):
            manual_note(shop, name=f"Client {number}")
        response, thirty = get_counting_queries(admin_client, LIST)
        with django_assert_max_num_queries(14):
            admin_client.get(LIST)
    assert len(rows(response)) == 30
    assert one == thirty


# --- « Facturer maintenant » ---------------------------------------------------------------------


@pytest.mark.django_db
def test_invoice_now_issues_the_invoice_of_a_manual_note(shop, role_client):
    note = manual_note(shop)
    client = role_client(roles.SALES)
    response = client.post(reverse("sales:to_invoice_now", args=[note.pk]), {"next": f"{LIST}?policy=manual"}, follow=True)
    invoice = Invoice.objects.get(kind=Invoice.Kind.INVOICE)
    assert invoice.status == Invoice.Status.ISSUED and not invoice.periodic
    assert response.redirect_chain[-1][0] == f"{LIST}?policy=manual"
    text = page_text(response)
    assert f"Facture {invoice.number} émise." in text
    assert f'data-note="{note.number}"' not in text
    again = client.post(reverse("sales:to_invoice_now", args=[note.pk]), follow=True)
    assert "n'a plus rien à facturer" in page_text(again)
    assert Invoice.objects.filter(kind=Invoice.Kind.INVOICE).count() == 1


@pytest.mark.django_db
def test_invoice_now_refuses_a_periodic_note_and_keeps_a_closed_period_refusal(shop, role_client):
    client = role_client(roles.ADMINISTRATOR)
    with at(date(2026, 11, 20)):
        monthly = business_notes(shop, shop.bakery, [date(2026, 11, 20)])[0]
        response = client.post(reverse("sales:to_invoice_now", args=[monthly.pk]), follow=True)
        assert "facture périodique du client" in page_text(response)
        assert not Invoice.objects.filter(kind=Invoice.Kind.INVOICE).exists()

        close_until(date(2026, 11, 20))
        note = manual_note(shop)
        response = client.post(reverse("sales:to_invoice_now", args=[note.pk]), follow=True)
    assert "Facturation refusée" in page_text(response) and "clôturée" in page_text(response)
    assert InvoicingHold.objects.get(delivery_note=note).attempts == 1
    assert not Invoice.objects.filter(kind=Invoice.Kind.INVOICE).exists()


@pytest.mark.django_db
def test_invoice_now_is_a_post_for_those_who_invoice(shop, role_client):
    note = manual_note(shop)
    url = reverse("sales:to_invoice_now", args=[note.pk])
    assert role_client(roles.ACCOUNTANT).post(url).status_code == 403
    assert role_client(roles.CUSTOMER_SERVICE).post(url).status_code == 403
    client = role_client(roles.SALES)
    assert client.get(url).status_code == 405
    assert client.post(reverse("sales:to_invoice_now", args=[999999]), follow=True).status_code == 200
    assert client.post(url, {"next": "https://evil.example/"}).url == LIST  # never sent elsewhere
    assert not InvoicingHold.objects.exists()


# --- Facturation groupée -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", SEEING)
def test_the_grouped_screen_shows_what_the_next_run_invoices(role, shop, role_client):
    shop.bakery.invoicing_policy = InvoicingPolicy.MONTHLY
    shop.bakery.save()
    with at(date(2026, 11, 4)):
        notes = business_notes(shop, shop.bakery, [date(2026, 11, 3)])
        notes += business_notes(shop, shop.bakery, [date(2026, 11, 4)], channel=shop.web)  # prices incl. tax: apart
        weekly = customer("Crêperie du Port", siren="552100554", invoicing_policy=InvoicingPolicy.WEEKLY)
        notes += business_notes(shop, weekly, [date(2026, 11, 4)])
        manual_note(shop)
        response = role_client(role).get(GROUPED)
    assert response.status_code == 200
    text = page_text(response)
    for note in notes:
        assert note.number in text
    assert "Boulangerie Le Goff" in text and "Crêperie du Port" in text and "Martin" not in text
    assert "30/11/2026" in text and "08/11/2026" in text  # the month's end, the week's Sunday
    assert "Facturé à part" in text
    assert "2 clients à facturer" in text
    assert ("Facturer maintenant la sélection" in text) == (role in (roles.ADMINISTRATOR, roles.SALES))


@pytest.mark.django_db
def test_running_the_selection_now_makes_a_job_whose_page_ends_on_the_summary(
    shop, role_client, django_capture_on_commit_callbacks
):
    with at(date(2026, 11, 12)):
        business_notes(shop, shop.bakery, [date(2026, 11, 3), date(2026, 11, 10)])
        other = customer("Crêperie du Port", siren="552100554")
        left = business_notes(shop, other, [date(2026, 11, 5)])[0]
        client = role_client(roles.SALES)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("sales:grouped_invoicing_run"), {"customers": [shop.bakery.pk]})
        job = Job.objects.get()
        assert response.url == reverse("jobs:detail", args=[job.pk])
        page = page_text(client.get(response.url))
        listed = page_text(client.get(reverse("sales:invoice_list"), {"periodic": "true"}))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert "1 facture(s) émise(s) pour 1 client(s)" in page
    assert 'href="/sales/invoices/?periodic=true"' in page
    invoice = Invoice.objects.get(kind=Invoice.Kind.INVOICE)
    assert invoice.customer == shop.bakery and invoice.periodic and invoice.lines.count() == 2
    assert DeliveryNote.objects.get(pk=left.pk).lines.filter(invoiced_quantity=0).exists()
    assert invoice.number in listed


@pytest.mark.django_db
def test_running_nothing_or_nonsense_is_refused_with_a_message(shop, role_client):
    client = role_client(roles.SALES)
    url = reverse("sales:grouped_invoicing_run")
    assert "Choisissez au moins un client" in page_text(client.post(url, follow=True))
    assert "sélection de clients n'est pas valide" in page_text(client.post(url, {"customers": ["x"]}, follow=True))
    assert not Job.objects.exists()
    assert role_client(roles.ACCOUNTANT).post(url, {"customers": [shop.bakery.pk]}).status_code == 403
    assert client.get(url).status_code == 405


@pytest.mark.django_db
def test_the_grouped_screen_takes_as_many_queries_for_many_customers(shop, admin_client):
    with at(date(2026, 11, 12)):
        business_notes(shop, shop.bakery, [date(2026, 11, 3)])
        _response, one = get_counting_queries(admin_client, GROUPED)
        for number in range(8):
            business_notes(shop, customer(f"Société {number}", siren=""), [date(2026, 11, 4), date(2026, 11, 5)])
        response, many = get_counting_queries(admin_client, GROUPED)
    assert "9 clients à facturer" in page_text(response)
    assert one == many


# --- What the other pages say --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_note_the_invoice_and_the_customer_pages_say_how_they_are_invoiced(shop, role_client):
    client = role_client(roles.SALES)
    with at(date(2026, 11, 3)):
        note = manual_note(shop)
        page = page_text(client.get(reverse("sales:delivery_detail", args=[note.pk])))
        assert 'id="invoicing-waiting"' in page and "À facturer à la main" in page and "Facturer maintenant" in page
        client.post(reverse("sales:to_invoice_now", args=[note.pk]))
        page = page_text(client.get(reverse("sales:delivery_detail", args=[note.pk])))
        invoice = Invoice.objects.get(kind=Invoice.Kind.INVOICE)
        assert invoice.number in page and 'id="invoicing-waiting"' not in page
        assert "Facture périodique" not in page_text(client.get(invoice.get_absolute_url()))

        business_notes(shop, shop.bakery, [date(2026, 11, 3)])
        with at(date(2026, 11, 30), 23):
            (periodic,) = invoicing.run_grouped_invoicing().invoices
        assert 'id="periodic-invoice"' in page_text(client.get(periodic.get_absolute_url()))
    customer_page = page_text(client.get(note.order.customer.get_absolute_url()))
    assert 'id="invoicing-policy">Manuelle' in customer_page
    assert "Celle du canal de vente" in page_text(client.get(shop.bakery.get_absolute_url()))
    warehouse = page_text(role_client(roles.WAREHOUSE).get(reverse("sales:delivery_detail", args=[note.pk])))
    assert 'id="invoicing-waiting"' not in warehouse


# --- Canaux de vente ---------------------------------------------------------------------------

CHANNELS = reverse("sales:channel_list")


@pytest.mark.django_db
def test_only_administrators_see_and_set_the_channels(shop, role_client):
    edit = reverse("sales:channel_edit", args=[shop.web.pk])
    for role in (roles.SALES, roles.WAREHOUSE, roles.ACCOUNTANT, roles.CUSTOMER_SERVICE):
        client = role_client(role)
        assert client.get(CHANNELS).status_code == 403
        assert client.post(edit, {"name": "Pirate"}).status_code == 403
        assert 'id="menu-channels"' not in page_text(client.get("/"))
    client = role_client(roles.ADMINISTRATOR)
    assert 'id="menu-channels"' in page_text(client.get("/"))
    text = page_text(client.get(CHANNELS))
    assert "Boutique en ligne" in text and "Groupée en fin de mois" in text and "À l'expédition" in text
    shop.web.refresh_from_db()
    assert shop.web.name == "Boutique en ligne"


@pytest.mark.django_db
def test_a_channel_is_set_through_its_form_and_its_kind_stays(shop, admin_client):
    edit = reverse("sales:channel_edit", args=[shop.web.pk])
    page = page_text(admin_client.get(edit))
    assert "Boutique en ligne" in page and 'id="channel-kind"' in page
    data = {
        "name": "Boutique Breizh",
        "prices_include_tax": "on",
        "warehouse": shop.warehouse.pk,
        "default_customer": shop.walk_in.code.lower(),
        "invoicing_policy": InvoicingPolicy.WEEKLY,
        "email_invoices": "on",
        "kind": "b2b",  # not a field of the form: ignored
    }
    response = admin_client.post(edit, data, follow=True)
    assert "Canal « Boutique Breizh » enregistré." in page_text(response)
    shop.web.refresh_from_db()
    assert (shop.web.name, shop.web.invoicing_policy, shop.web.email_invoices) == ("Boutique Breizh", "weekly", True)
    assert shop.web.default_customer == shop.walk_in and shop.web.warehouse == shop.warehouse
    assert shop.web.kind == "web"


@pytest.mark.django_db
def test_bad_channel_settings_are_refused_beside_their_field_and_change_nothing(shop, admin_client):
    edit = reverse("sales:channel_edit", args=[shop.web.pk])
    supplier = customer("Fournil SA", is_customer=False, is_supplier=True)
    cases = [
        ({"name": "", "invoicing_policy": "monthly"}, "Ce champ est obligatoire."),
        ({"name": "Web", "invoicing_policy": "sometimes"}, "Sélectionnez un choix valide"),
        ({"name": "Web", "invoicing_policy": "monthly", "default_customer": "NOBODY"}, "Aucun tiers ne porte ce code"),
        ({"name": "Web", "invoicing_policy": "monthly", "default_customer": supplier.code}, "Aucun tiers ne porte ce code"),
        ({"name": "Web", "invoicing_policy": "monthly", "warehouse": "999999"}, "Sélectionnez un choix valide"),
    ]
    for data, message in cases:
        response = admin_client.post(edit, data)
        assert response.status_code == 400, data
        assert message in page_text(response), data
        assert 'value="Web"' in page_text(response) or not data["name"]  # what was typed stays
    shop.web.refresh_from_db()
    assert (shop.web.name, shop.web.invoicing_policy) == ("Boutique en ligne", InvoicingPolicy.AT_SHIPMENT)
    assert admin_client.get(reverse("sales:channel_edit", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_the_channel_service_refuses_what_the_form_cannot_send(shop):
    from lmb.errors import InvalidInput
    from sales.services.channels import update_channel

    supplier = customer("Fournil SA", is_customer=False, is_supplier=True)
    with pytest.raises(InvalidInput, match="n'est pas un client"):
        update_channel(shop.counter, default_customer=supplier)
    with pytest.raises(InvalidInput, match="ne se modifie pas"):
        update_channel(shop.counter, kind="web")
    shop.counter.refresh_from_db()
    assert shop.counter.kind == "counter" and shop.counter.default_customer == shop.walk_in
