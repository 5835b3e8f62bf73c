"""The dunning API: receivables and the aged balance as of a date with their filters and pages,
reminders listed, validated and cancelled (409 when refused, 400 naming the field), each role's
rights, and list query counts pinned."""

from datetime import date
from decimal import Decimal

import pytest

from crm.models import TimelineEntry
from dunning import services
from dunning.models import Reminder
from lmb import roles
from tests.dunning.conftest import invoice, on, pay

pytestmark = pytest.mark.django_db
API = "/api/v1"


def run(day):
    with on(day):
        return services.run_reminders(on=day)


@pytest.fixture
def book(shop, business, consumer, public_buyer):
    """A business invoice due 04/02/2026 paid half on 20/02, a consumer's due 04/03, a public
    buyer's two installments (04/02 and 06/03)."""
    bill = invoice(shop, business, date(2026, 1, 5))  # 120 € TTC
    invoice(
        shop,
        public_buyer,
        date(2026, 1, 5),
        net="500.00",
        installments=[(date(2026, 2, 4), Decimal("300.00")), (date(2026, 3, 6), Decimal("300.00"))],
    )
    pay(bill, date(2026, 2, 20), Decimal("50.00"))
    invoice(shop, consumer, date(2026, 2, 2), channel=shop.phone, net="50.00")  # 50 € TTC (the phone channel prices tax included)
    return {"bill": bill, "business": business, "consumer": consumer, "public": public_buyer}


# --- Receivables ---------------------------------------------------------------------------------


def test_receivables_as_of_a_past_date_show_that_day(api_client, book):
    api = api_client(roles.ACCOUNTANT)
    before = api.get(f"{API}/receivables/", {"as_of": "2026-02-10"}).json()
    assert before["count"] == 4  # the business's, the consumer's (not due yet), the public buyer's two installments
    business = next(row for row in before["results"] if row["customer"] == book["business"].pk)
    assert (business["amount_due"], business["days_late"], business["due_date"]) == ("120.00", 6, "2026-02-04")
    after = api.get(f"{API}/receivables/", {"as_of": "2026-03-01", "customer": book["business"].pk}).json()
    assert [(row["amount_due"], row["days_late"]) for row in after["results"]] == [("70.00", 25)]


def test_receivables_filters(api_client, book):
    api = api_client(roles.ACCOUNTANT)
    rows = api.get(f"{API}/receivables/", {"as_of": "2026-03-01", "category": "public"}).json()["results"]
    assert [(row["due_date"], row["amount_due"], row["days_late"]) for row in rows] == [
        ("2026-02-04", "300.00", 25),
        ("2026-03-06", "300.00", 0),
    ]
    overdue = api.get(f"{API}/receivables/", {"as_of": "2026-03-01", "category": "public", "overdue": "true"}).json()
    assert overdue["count"] == 1
    assert api.get(f"{API}/receivables/", {"as_of": "2026-03-10", "country": "BE"}).json()["count"] == 0


def test_receivables_and_aged_balance_by_sales_rep(api_client, book, django_user_model):
    rep = django_user_model.objects.create_user("yann")
    book["public"].sales_rep = rep
    book["public"].save(update_fields=["sales_rep"])
    api = api_client(roles.ACCOUNTANT)
    rows = api.get(f"{API}/receivables/", {"as_of": "2026-03-01", "sales_rep": rep.pk}).json()["results"]
    assert {row["customer"] for row in rows} == {book["public"].pk} and len(rows) == 2
    aged = api.get(f"{API}/aged-balance/", {"as_of": "2026-03-01", "sales_rep": rep.pk}).json()["results"]
    assert [row["customer"] for row in aged] == [book["public"].pk]
    assert api.get(f"{API}/aged-balance/", {"sales_rep": 0}).status_code == 400


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"as_of": "10/03/2026"}, "as_of"),
        ({"as_of": "2101-01-01"}, "as_of"),
        ({"category": "martian"}, "category"),
        ({"customer": "abc"}, "customer"),
        ({"country": "france"}, "country"),
    ],
)
def test_bad_filters_answer_400_naming_the_parameter(api_client, db, params, field):
    for path in ("receivables", "aged-balance"):
        response = api_client(roles.ACCOUNTANT).get(f"{API}/{path}/", params)
        assert response.status_code == 400, response.content
        assert list(response.json()) == [field]


# --- Aged balance --------------------------------------------------------------------------------


def test_aged_balance_buckets_as_of_a_date_sorted_by_days_late(api_client, book):
    response = api_client(roles.ACCOUNTANT).get(f"{API}/aged-balance/", {"as_of": "2026-03-10"})
    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == "2026-03-10" and body["next"] is None and body["previous"] is None
    rows = {row["customer"]: row for row in body["results"]}
    # Both oldest items fell due on 04/02: the larger balance first, the consumer (6 days) last.
    assert [row["customer"] for row in body["results"]] == [book["public"].pk, book["business"].pk, book["consumer"].pk]
    public = rows[book["public"].pk]
    assert (public["late_1_30"], public["late_31_60"], public["total"], public["days_late"]) == ("300.00", "300.00", "600.00", 34)
    business = rows[book["business"].pk]
    assert (business["late_31_60"], business["balance"], business["oldest_due_date"]) == ("70.00", "70.00", "2026-02-04")
    consumer = rows[book["consumer"].pk]
    assert (consumer["late_1_30"], consumer["days_late"]) == ("50.00", 6)


def test_aged_balance_pages_follow_the_sort(api_client, book):
    api = api_client(roles.ACCOUNTANT)
    first = api.get(f"{API}/aged-balance/", {"as_of": "2026-03-10", "page_size": 2, "sort": "name"}).json()
    assert [row["name"] for row in first["results"]] == sorted(row["name"] for row in first["results"])
    assert "page=2" in first["next"] and first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None and "page=" not in second["previous"]
    names = [row["name"] for row in first["results"] + second["results"]]
    assert names == sorted(names)
    assert api.get(f"{API}/aged-balance/", {"as_of": "2026-03-10", "page": 3, "page_size": 2}).status_code == 404
    bad = api.get(f"{API}/aged-balance/", {"page_size": 501})
    assert bad.status_code == 400 and list(bad.json()) == ["page_size"]


def test_aged_balance_as_of_before_anything_is_empty(api_client, book):
    body = api_client(roles.ACCOUNTANT).get(f"{API}/aged-balance/", {"as_of": "2025-12-31"}).json()
    assert body["results"] == []


def test_aged_balance_query_count_does_not_grow_with_customers(api_client, book, django_assert_max_num_queries, shop):
    api = api_client(roles.ACCOUNTANT)
    with django_assert_max_num_queries(6):  # token, its use, permissions (2), the statement
        assert len(api.get(f"{API}/aged-balance/", {"as_of": "2026-03-10"}).json()["results"]) == 3


# --- Reminders -----------------------------------------------------------------------------------


@pytest.fixture
def r1(book):
    [reminder] = [r for r in run(date(2026, 2, 9)) if r.customer_id == book["business"].pk]
    return reminder


def test_reminders_list_with_items_and_filters(api_client, r1, django_assert_max_num_queries):
    api = api_client(roles.CUSTOMER_SERVICE)
    with django_assert_max_num_queries(8):
        body = api.get(f"{API}/reminders/", {"status": "to_validate"}).json()
    mine = next(row for row in body["results"] if row["id"] == r1.pk)
    assert (mine["position"], mine["status"], mine["amount_due"], mine["channel"]) == (1, "to_validate", "120.00", "email")
    assert [(item["invoice_number"], item["days_late"]) for item in mine["items"]] == [(r1.items.get().invoice.number, 5)]
    assert api.get(f"{API}/reminders/", {"status": "sent"}).json()["count"] == 0
    assert api.get(f"{API}/reminders/{r1.pk}/").json()["customer_name"] == r1.customer.name


def test_validate_sends_it_and_a_second_time_answers_409(api_client, r1):
    api = api_client(roles.SALES)
    with on(date(2026, 2, 10)):
        response = api.post(f"{API}/reminders/{r1.pk}/validate/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "sent" and response.json()["sent_at"].startswith("2026-02-10")
    assert response.json()["sent_by"] == api.user.pk
    # The bakery has no e-mail address: its e-mail step goes out as a letter (dunning.services.send_reminder).
    assert TimelineEntry.objects.filter(third_party=r1.customer, kind__in=["email", "letter"]).count() == 1
    again = api.post(f"{API}/reminders/{r1.pk}/validate/")
    assert again.status_code == 409
    assert "Envoyée" in again.json()["detail"][0]
    assert TimelineEntry.objects.filter(third_party=r1.customer, kind__in=["email", "letter"]).count() == 1


def test_send_to_an_address_e_mails_it_there_and_a_bad_address_is_named(
    api_client, r1, settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    api = api_client(roles.SALES)
    bad = api.post(f"{API}/reminders/{r1.pk}/send/", {"recipient": "pas-une-adresse"}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["recipient"]
    assert Reminder.objects.get(pk=r1.pk).status == "to_validate"
    with on(date(2026, 2, 10)), django_capture_on_commit_callbacks(execute=True):
        sent = api.post(f"{API}/reminders/{r1.pk}/send/", {"recipient": "compta@legoff.example"}, format="json")
    assert sent.status_code == 200, sent.content
    assert (sent.json()["status"], sent.json()["channel"]) == ("sent", "email")
    assert [message.to for message in mail.outbox] == [["compta@legoff.example"]]
    assert Reminder.objects.get(pk=r1.pk).emailed_at is not None
    assert api.post(f"{API}/reminders/{r1.pk}/send/", {}, format="json").status_code == 409


def test_cancel_needs_a_reason_named_and_refuses_a_sent_one(api_client, r1):
    api = api_client(roles.SALES)
    blank = api.post(f"{API}/reminders/{r1.pk}/cancel/", {"reason": "  "}, format="json")
    assert blank.status_code == 400 and list(blank.json()) == ["reason"]
    assert Reminder.objects.get(pk=r1.pk).status == "to_validate"
    done = api.post(f"{API}/reminders/{r1.pk}/cancel/", {"reason": "Réglé par chèque, en route"}, format="json")
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["cancel_reason"]) == ("cancelled", "Réglé par chèque, en route")
    again = api.post(f"{API}/reminders/{r1.pk}/cancel/", {"reason": "Encore"}, format="json")
    assert again.status_code == 409
    assert api.post(f"{API}/reminders/{r1.pk}/validate/").status_code == 409


@pytest.mark.parametrize("role", [roles.ACCOUNTANT, roles.CUSTOMER_SERVICE])
def test_read_only_roles_read_but_may_not_validate(api_client, r1, role):
    api = api_client(role)
    assert api.get(f"{API}/reminders/{r1.pk}/").status_code == 200
    assert api.post(f"{API}/reminders/{r1.pk}/validate/").status_code == 403
    assert api.post(f"{API}/reminders/{r1.pk}/cancel/", {"reason": "Non"}, format="json").status_code == 403
    assert Reminder.objects.get(pk=r1.pk).status == "to_validate"


def test_the_warehouse_sees_no_receivable(api_client, r1):
    api = api_client(roles.WAREHOUSE)
    for path in ("receivables/", "aged-balance/", "reminders/", f"reminders/{r1.pk}/"):
        assert api.get(f"{API}/{path}").status_code == 403, path


def test_without_a_key_401(client, db):
    for path in ("receivables/", "aged-balance/", "reminders/"):
        assert client.get(f"{API}/{path}").status_code == 401
