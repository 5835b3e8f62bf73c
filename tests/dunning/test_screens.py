"""The dunning screens as each role: the aged balance (as of a date, filters, search, sort, export,
queries pinned), the reminders to validate (send a selection, cancel with a reason, today's run),
the customer's « Relances » tab (settings and disputes through the services, errors beside the
field), and the plans and rates."""

import io
import subprocess
import tempfile
from datetime import date, timedelta
from decimal import Decimal

import lxml.html
import pytest
from django.urls import reverse
from odf import opendocument, table, text
from openpyxl import load_workbook

from crm.models import ThirdParty
from dunning import services
from dunning.models import CustomerDunning, InvoiceDispute, PenaltyRate, Reminder, ReminderPlan
from lmb import roles
from lmb.formats import money_fr
from lmb.models import Job
from tests.dunning.conftest import invoice, on
from tests.factories import ThirdPartyFactory
from tests.sales.conftest import customer

pytestmark = pytest.mark.django_db

TODAY = date(2026, 2, 10)
ROLES = [roles.ADMINISTRATOR, roles.SALES, roles.ACCOUNTANT, roles.CUSTOMER_SERVICE, roles.WAREHOUSE]


@pytest.fixture
def late(shop, business, consumer):
    """The bakery (business) 120 € due 04/02/2026, R1 to validate since 09/02; Le Bihan (consumer)
    60 € not due until 27/02."""
    bill = invoice(shop, business, date(2026, 1, 5))
    not_due = invoice(shop, consumer, date(2026, 1, 28), net="50.00", channel=shop.phone)
    with on(date(2026, 2, 9)):
        [r1] = services.run_reminders(on=date(2026, 2, 9))
    return {"bill": bill, "not_due": not_due, "r1": r1, "business": business, "consumer": consumer}


def get(client, view, *args, **params):
    with on(TODAY):
        return client.get(reverse(view, args=args), params)


def post(client, view, *args, **data):
    with on(TODAY):
        return client.post(reverse(view, args=args), data)


def rows(response, table_id):
    return lxml.html.fromstring(response.content.decode()).xpath(f'//table[@id="{table_id}"]/tbody/tr')


@pytest.mark.parametrize("role", ROLES)
def test_each_screen_as_each_role(role_client, role, late):
    client = role_client(role)
    pages = [
        ("dunning:aged_balance", ()),
        ("dunning:reminders_to_validate", ()),
        ("dunning:reminder_detail", (late["r1"].pk,)),
        ("dunning:customer", (late["business"].pk,)),
    ]
    expected = 403 if role == roles.WAREHOUSE else 200
    for name, args in pages:
        assert get(client, name, *args).status_code == expected, name
    assert get(client, "dunning:plans").status_code == (200 if role == roles.ADMINISTRATOR else 403)
    page = get(client, "dunning:reminders_to_validate")
    if expected == 200:
        content = page.content.decode()
        assert ('id="send-selection"' in content) == (role in (roles.ADMINISTRATOR, roles.SALES))
        assert ('id="run-today"' in content) == (role == roles.ADMINISTRATOR)
        settings = get(client, "dunning:customer", late["business"].pk).content.decode()
        editable = role in (roles.ADMINISTRATOR, roles.SALES)
        assert (reverse("dunning:customer_settings", args=[late["business"].pk]) in settings) == editable
        assert ('name="promise_date"' in settings) == editable


def test_the_menu_and_the_customer_page_offer_the_screens(role_client, late):
    sales = role_client(roles.SALES)
    home = get(sales, "home").content.decode()
    assert reverse("dunning:aged_balance") in home and reverse("dunning:reminders_to_validate") in home
    assert reverse("dunning:plans") not in home
    crm_page = get(sales, "crm:thirdparty_detail", late["business"].pk).content.decode()
    assert reverse("dunning:customer", args=[late["business"].pk]) in crm_page


def test_aged_balance_sorted_by_days_late_with_french_amounts(admin_client, late):
    response = get(admin_client, "dunning:aged_balance")
    assert [row.get("data-customer") for row in rows(response, "aged-balance")] == [
        str(late["business"].pk),
        str(late["consumer"].pk),
    ]
    first = rows(response, "aged-balance")[0]
    assert first.xpath("td")[-1].get("data-days-late") == "6"  # due 04/02, seen on 10/02
    assert money_fr(Decimal("120.00")) in first.text_content()
    assert reverse("dunning:customer", args=[late["business"].pk]) in response.content.decode()
    by_name = get(admin_client, "dunning:aged_balance", sort="name")
    names = [row.xpath("td/a")[0].text for row in rows(by_name, "aged-balance")]
    assert names == sorted(names)


def test_aged_balance_as_of_a_date_and_filters(admin_client, late, shop):
    before = get(admin_client, "dunning:aged_balance", as_of="2026-01-20")
    assert [row.get("data-customer") for row in rows(before, "aged-balance")] == [str(late["business"].pk)]
    assert rows(before, "aged-balance")[0].xpath("td")[-1].get("data-days-late") == "0"
    consumers = get(admin_client, "dunning:aged_balance", category="consumer")
    assert [row.get("data-customer") for row in rows(consumers, "aged-balance")] == [str(late["consumer"].pk)]
    phone = get(admin_client, "dunning:aged_balance", channel=shop.phone.pk)
    assert [row.get("data-customer") for row in rows(phone, "aged-balance")] == [str(late["consumer"].pk)]
    abroad = get(admin_client, "dunning:aged_balance", country="BE")
    assert rows(abroad, "aged-balance")[0].xpath("td")[0].get("colspan") == "10"  # the empty row
    searched = get(admin_client, "dunning:aged_balance", q="bihan")
    assert [row.get("data-customer") for row in rows(searched, "aged-balance")] == [str(late["consumer"].pk)]
    bad = get(admin_client, "dunning:aged_balance", as_of="31/31/2026")
    assert bad.status_code == 200 and 'data-error-for="as_of"' in bad.content.decode()


def test_aged_balance_exports_numbers_as_numbers(admin_client, late):
    xlsx = get(admin_client, "dunning:aged_balance", export="xlsx", sort="days_late")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    header, first, second = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[0] == "Client" and header[-1] == "Jours de retard"
    assert first[0] == late["business"].name
    assert first[header.index("1–30 j")] == 120 and isinstance(first[header.index("Solde")], int | float)
    assert first[-1] == 6 and second[header.index("Non échu")] == late["not_due"].total_incl_tax

    ods = get(admin_client, "dunning:aged_balance", export="ods")
    document = opendocument.load(io.BytesIO(b"".join(ods.streaming_content)))
    cells = document.spreadsheet.getElementsByType(table.TableRow)[1].getElementsByType(table.TableCell)
    total = cells[7]
    assert total.getAttribute("valuetype") == "float" and Decimal(total.getAttribute("value")) == Decimal("120")
    assert str(cells[0].getElementsByType(text.P)[0]) == late["business"].name


def test_aged_balance_queries_do_not_grow_with_customers(admin_client, shop, django_assert_max_num_queries):
    def count():
        with django_assert_max_num_queries(9) as captured:  # + the sales reps of the filter
            response = get(admin_client, "dunning:aged_balance", q="client")
        assert response.status_code == 200
        return len(captured.captured_queries), len(rows(response, "aged-balance"))

    invoice(shop, customer("Client 0"), date(2026, 1, 5))
    one = count()
    for index in range(1, 30):
        invoice(shop, customer(f"Client {index}"), date(2026, 1, 5))
    thirty = count()
    assert one[1] == 1 and thirty[1] == 30
    assert one[0] == thirty[0]


def test_send_a_selection_refusals_as_messages(role_client, late, shop):
    other = customer("Crêperie Éole")
    invoice(shop, other, date(2026, 1, 28), installments=[(date(2026, 2, 1), Decimal("120.00"))])
    with on(date(2026, 2, 10)):
        [r1b] = services.run_reminders(on=date(2026, 2, 10))
        services.cancel_reminder(r1b, reason="Promesse au téléphone")
    client = role_client(roles.SALES)
    response = post(client, "dunning:send_reminders", reminders=[late["r1"].pk, r1b.pk])
    assert response.status_code == 302
    late["r1"].refresh_from_db()
    r1b.refresh_from_db()
    assert (late["r1"].status, r1b.status) == (Reminder.Status.SENT, Reminder.Status.CANCELLED)
    assert late["r1"].sent_by.groups.filter(name=roles.SALES).exists()
    shown = [str(message) for message in get(client, "dunning:reminders_to_validate").context["messages"]]
    assert any("1 relance(s) envoyée(s)" in message for message in shown)
    assert any("Crêperie Éole" in message and "ne s'envoie plus" in message for message in shown)
    assert rows(get(client, "dunning:reminders_to_validate"), "reminders")[0].xpath("td")[0].get("colspan") == "10"


def test_cancel_needs_a_reason_beside_the_field(role_client, late):
    client = role_client(roles.SALES)
    refused = post(client, "dunning:reminder_cancel", late["r1"].pk, cancel_reason="  ")
    assert refused.status_code == 400 and 'data-error-for="cancel_reason"' in refused.content.decode()
    late["r1"].refresh_from_db()
    assert late["r1"].status == Reminder.Status.TO_VALIDATE
    assert post(client, "dunning:reminder_cancel", late["r1"].pk, cancel_reason="Payé au comptoir").status_code == 302
    late["r1"].refresh_from_db()
    assert (late["r1"].status, late["r1"].cancel_reason) == (Reminder.Status.CANCELLED, "Payé au comptoir")
    detail = get(client, "dunning:reminder_detail", late["r1"].pk).content.decode()
    assert "Payé au comptoir" in detail and 'id="send-reminder"' not in detail


def test_the_reminder_page_shows_its_items_and_text(admin_client, late):
    response = get(admin_client, "dunning:reminder_detail", late["r1"].pk)
    content = response.content.decode()
    assert late["bill"].number in content and late["r1"].subject in content
    assert len(rows(response, "reminder-items")) == 1


def test_todays_run_for_administrators_only(role_client, shop, business):
    invoice(shop, business, date(2026, 1, 5))
    assert post(role_client(roles.SALES), "dunning:run_today").status_code == 403
    assert not Reminder.objects.exists()
    client = role_client(roles.ADMINISTRATOR)
    assert post(client, "dunning:run_today").status_code == 302
    assert Reminder.objects.get().status == Reminder.Status.TO_VALIDATE
    shown = [str(message) for message in get(client, "dunning:reminders_to_validate").context["messages"]]
    assert shown == ["1 relance(s) préparée(s) aujourd'hui, dont 1 à valider."]


def test_customer_tab_settings_through_the_services(role_client, late):
    client = role_client(roles.SALES)
    who = late["business"]
    tab = get(client, "dunning:customer", who.pk)
    assert len(rows(tab, "customer-reminders")) == 1 and len(rows(tab, "open-items")) == 1
    plan = ReminderPlan.objects.get(customer_category="consumer")
    refused = post(client, "dunning:customer_settings", who.pk, plan=plan.pk, promise_date="2026-02-01", promise_amount="50")
    assert refused.status_code == 400 and 'data-error-for="promise_date"' in refused.content.decode()
    assert not CustomerDunning.objects.filter(customer=who, plan=plan).exists()  # nothing saved
    saved = post(client, "dunning:customer_settings", who.pk, plan=plan.pk, promise_date="2026-02-20", promise_amount="50,00")
    assert saved.status_code == 302
    dunning = CustomerDunning.objects.get(customer=who)
    assert (dunning.plan, dunning.promise_date, dunning.promise_amount) == (plan, date(2026, 2, 20), Decimal("50.00"))
    # the promise is now in the past: changing something else does not trip on it
    with on(date(2026, 3, 1)):
        again = client.post(
            reverse("dunning:customer_settings", args=[who.pk]),
            {"do_not_remind": "on", "promise_date": "2026-02-20", "promise_amount": "50,00"},
        )
    assert again.status_code == 302
    assert CustomerDunning.objects.get(customer=who).do_not_remind


def test_dispute_an_invoice_from_the_tab(role_client, late):
    client = role_client(roles.SALES)
    who = late["business"]
    refused = post(client, "dunning:customer_dispute", who.pk, invoice=late["bill"].pk, reason="")
    assert refused.status_code == 400 and 'data-error-for="reason"' in refused.content.decode()
    disputed = post(client, "dunning:customer_dispute", who.pk, invoice=late["bill"].pk, reason="Livraison incomplète")
    assert disputed.status_code == 302
    assert InvoiceDispute.objects.get(invoice=late["bill"]).reason == "Livraison incomplète"
    assert "en litige" in get(client, "dunning:customer", who.pk).content.decode()
    assert post(client, "dunning:dispute_resolve", who.pk, late["bill"].pk).status_code == 302
    assert InvoiceDispute.objects.get(invoice=late["bill"]).resolved_on == TODAY
    accountant = role_client(roles.ACCOUNTANT)
    assert post(accountant, "dunning:customer_dispute", who.pk, invoice=late["bill"].pk, reason="x").status_code == 403


def test_settings_errors_beside_the_field(admin_client, db):
    below = {
        "start": "2026-07-01",
        "ecb_rate": "2,15",
        "points": "0",
        "public_points": "8",
        "legal_interest_rate": "7,5",
    }
    refused = post(admin_client, "dunning:rate_save", **below)
    assert refused.status_code == 400
    assert 'data-error-for="points"' in refused.content.decode() and "plancher légal" in refused.content.decode()
    assert not PenaltyRate.objects.filter(start=date(2026, 7, 1)).exists()
    assert post(admin_client, "dunning:rate_save", **{**below, "points": "10"}).status_code == 302
    assert PenaltyRate.objects.get(start=date(2026, 7, 1)).business_rate == Decimal("12.150")

    step = ReminderPlan.objects.get(customer_category="business").steps.get(position=1)
    form = get(admin_client, "dunning:step_edit", step.pk).context["form"]
    data = {name: form.initial[name] for name in form.fields}
    data = {name: value for name, value in data.items() if value is not False}
    bad = post(admin_client, "dunning:step_edit", step.pk, **{**data, "body": "Bonjour {client}"})
    assert bad.status_code == 400 and 'data-error-for="body"' in bad.content.decode()
    good = post(admin_client, "dunning:step_edit", step.pk, **{**data, "delay_days": 7})
    assert good.status_code == 302
    step.refresh_from_db()
    assert step.delay_days == 7


def test_a_non_customer_has_no_dunning_tab(admin_client):
    supplier = ThirdPartyFactory(name="Fonderie", is_customer=False, is_supplier=True)
    assert get(admin_client, "dunning:customer", supplier.pk).status_code == 404
    assert (
        reverse("dunning:customer", args=[supplier.pk])
        not in get(admin_client, "crm:thirdparty_detail", supplier.pk).content.decode()
    )


def test_the_reminder_page_shows_penalties_only_when_its_step_claims_them(admin_client, late):
    """R1 of the business plan claims neither penalties nor the 40 €: its page does not show them."""
    content = get(admin_client, "dunning:reminder_detail", late["r1"].pk).content.decode()
    assert not late["r1"].step.show_indemnity and "Indemnité" not in content
    assert money_fr(Decimal("40.00")) not in content


@pytest.mark.parametrize("role", [roles.SALES, roles.ACCOUNTANT, roles.WAREHOUSE])
def test_the_letter_downloads_and_a_selection_prints_as_a_job(role_client, role, late, django_capture_on_commit_callbacks):
    client = role_client(role)
    response = get(client, "dunning:reminder_pdf", late["r1"].pk)
    if role == roles.WAREHOUSE:
        assert response.status_code == 403
        return
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and late["r1"].customer.name.split()[0] in pdf_text(response.content)
    assert 'id="reminder-pdf"' in get(client, "dunning:reminder_detail", late["r1"].pk).content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the job's task is sent once the request commits
        printed = post(client, "dunning:print_reminders", reminders=[late["r1"].pk])
    job = Job.objects.get()
    assert printed.status_code == 302 and printed["Location"] == reverse("jobs:detail", args=[job.pk])
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.result.read().startswith(b"%PDF")  # tasks run in-process here
    refused = post(client, "dunning:print_reminders")  # nothing ticked
    assert refused.status_code == 302 and Job.objects.count() == 1


def pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(content)
        handle.flush()
        return subprocess.run(["pdftotext", handle.name, "-"], capture_output=True, text=True, check=True).stdout


def test_aged_balance_pages_keep_the_totals_and_count_of_the_whole_report(admin_client, shop, monkeypatch):
    """Fifty-five customers late by 1…55 days (one invoice each, 12 € + 1 cent × index): page 1
    shows the fifty latest, page 2 the other five; the count and the totals are the whole report's
    on both; a page beyond the last shows the last; the reverse sort starts with the least late."""
    from dunning import views

    monkeypatch.setattr(views, "PAGE_SIZE", 50)
    expected = Decimal("0.00")
    for index in range(55, 0, -1):  # in date order (NUM-01)
        bill = invoice(shop, customer(f"Retard {index:02d}"), date(2026, 1, 10) - timedelta(days=index), net="10.00")
        expected += bill.total_incl_tax
    first = get(admin_client, "dunning:aged_balance")
    second = get(admin_client, "dunning:aged_balance", page=2)
    beyond = get(admin_client, "dunning:aged_balance", page=99)
    for response in (first, second, beyond):
        page = lxml.html.fromstring(response.content.decode())
        assert "55 clients" in page.get_element_by_id("result-count").text_content()
        assert page.get_element_by_id("aged-totals").xpath("td")[8].text_content().strip() == money_fr(expected)
    names = [row.xpath("td/a")[0].text for row in rows(first, "aged-balance")]
    assert len(names) == 50 and names[0] == "Retard 55" and names[-1] == "Retard 06"
    assert [row.xpath("td/a")[0].text for row in rows(second, "aged-balance")] == [f"Retard {i:02d}" for i in range(5, 0, -1)]
    assert [row.xpath("td/a")[0].text for row in rows(beyond, "aged-balance")][0] == "Retard 05"
    reverse_order = get(admin_client, "dunning:aged_balance", sort="-days_late")
    assert [row.xpath("td/a")[0].text for row in rows(reverse_order, "aged-balance")][:2] == ["Retard 01", "Retard 02"]


def test_aged_balance_by_sales_rep(admin_client, late, django_user_model):
    rep = django_user_model.objects.create_user("yann", first_name="Yann", last_name="Kervella")
    ThirdParty.objects.filter(pk=late["consumer"].pk).update(sales_rep=rep)
    mine = get(admin_client, "dunning:aged_balance", sales_rep=rep.pk)
    assert [row.get("data-customer") for row in rows(mine, "aged-balance")] == [str(late["consumer"].pk)]
    assert "Yann Kervella" in get(admin_client, "dunning:aged_balance").content.decode()  # the filter names reps
    unknown = get(admin_client, "dunning:aged_balance", sales_rep=999999)
    assert 'data-error-for="sales_rep"' in unknown.content.decode()  # the field's error is shown beside it


def test_the_rates_page_and_the_reminders_warn_of_a_semester_not_entered_and_of_the_invoices_rate(admin_client, shop):
    from lmb.models import Company

    with on(date(2026, 8, 3)):
        for view in ("dunning:plans", "dunning:reminders_to_validate"):
            warnings = lxml.html.fromstring(admin_client.get(reverse(view)).content.decode()).xpath("//*[@data-rate-warning]")
            assert len(warnings) == 1
            assert "Le taux du 2e semestre 2026 n'est pas saisi : celui du 1er semestre 2026 est appliqué" in (
                warnings[0].text_content()
            )
    assert not lxml.html.fromstring(get(admin_client, "dunning:plans").content.decode()).xpath("//*[@data-rate-warning]")
    Company.objects.update(late_penalty_rate=Decimal("10"))
    [warning] = lxml.html.fromstring(get(admin_client, "dunning:plans").content.decode()).xpath("//*[@data-rate-warning]")
    assert "au taux de 10\u00a0%, les relances les calculent au taux de 12,15\u00a0%" in warning.text_content()
