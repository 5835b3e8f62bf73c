"""The accountant's screens: lists with pinned query counts, exports (FEC button, spreadsheets,
CSV), period close from the screen, manual lettering; other roles are kept out."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounting import services
from accounting.models import Account, JournalLine, Period
from lmb import roles
from sales import services as sales
from sales.models import PaymentMethod
from tests.accounting.conftest import on
from tests.helpers import get_counting_queries, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(shop):
    for day in (date(2025, 3, 3), date(2025, 3, 10), date(2025, 4, 2)):
        with on(day):
            invoice = sales.issue_invoice(
                sales.create_direct_invoice(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.fitting}]),
                issue_date=day,
            )
            sales.record_payment(
                customer=shop.bakery, amount=invoice.total_incl_tax, method=PaymentMethod.CARD, invoices=[invoice]
            )
    with on(date(2025, 4, 5)):  # money on account: left for manual lettering
        sales.record_payment(customer=shop.bakery, amount="50.00", method=PaymentMethod.CHEQUE)
    services.post_pending()
    return shop


# url → the most queries it may take (session, user, permissions, company, menu, count, rows)
SCREENS = {
    "/accounting/entries/": 9,
    "/accounting/entries/?account=411&lettered=false&sort=-debit": 10,  # + the accounts of the filter, by id
    "/accounting/accounts/": 7,
    "/accounting/mapping/": 8,
    "/accounting/lettering/": 10,  # + the account chosen, checked by the filter form
    "/accounting/fiscal-years/": 7,
    "/accounting/": 7,
}


def _more_books(shop, count):
    for index in range(count):
        day = date(2025, 5, 1 + index % 28)
        with on(day):
            invoice = sales.issue_invoice(
                sales.create_direct_invoice(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.fitting}]),
                issue_date=day,
            )
            sales.record_payment(customer=shop.bakery, amount="1.00", method=PaymentMethod.CARD, invoices=[invoice])
    services.post_pending()


def test_lists_answer_with_a_fixed_number_of_queries(role_client, books):
    client = role_client(roles.ACCOUNTANT)
    few = {url: get_counting_queries(client, url)[1] for url in SCREENS}
    _more_books(books, 20)
    many = {url: get_counting_queries(client, url)[1] for url in SCREENS}
    assert few == many
    assert {url: (n, SCREENS[url]) for url, n in many.items() if n > SCREENS[url]} == {}
    page = client.get(reverse("accounting:entry_list"), {"sort": "date"}).content.decode()
    assert "Boulangerie Le Goff" in page and "VT000001" in page
    assert "707500" in client.get(reverse("accounting:mapping_list")).content.decode()
    filtered = client.get(reverse("accounting:entry_list"), {"account": "411", "lettered": "false"})
    assert filtered.context["paginator"].count == 1 + 40  # the cheque on account; 20 invoices part-paid and their payments
    sheet = client.get(reverse("accounting:entry_list"), {"export": "xlsx", "account": "411"})
    rows = list(load_workbook(io.BytesIO(b"".join(sheet.streaming_content))).active.values)
    assert len(rows) == 1 + 7 + 40


def test_the_fec_button_never_hands_over_a_file_the_checker_refuses(role_client, books, monkeypatch):
    """The screen checks the file like ``manage.py export_fec``: a file breaking a rule (here a
    line cut short after the export) is not downloaded; the page says why, in French."""
    from accounting import fec

    real_export = fec.export

    def export_with_a_short_line(*args, **kwargs):
        path = real_export(*args, **kwargs)
        with open(path, "ab") as out:
            out.write(b"VT\tVentes\r\n")
        return path

    monkeypatch.setattr(fec, "export", export_with_a_short_line)
    client = role_client(roles.ACCOUNTANT)
    year = Period.objects.get(start=date(2025, 3, 1)).fiscal_year
    answer = client.get(reverse("accounting:fec_download"), {"fiscal_year": year.pk}, follow=True)
    assert answer.redirect_chain[-1][0] == reverse("accounting:exports")
    assert "attachment" not in answer.get("Content-Disposition", "")
    assert "Le FEC ne passe pas les contrôles du format (1 problème(s))" in page_text(answer)


def test_the_fec_button_asks_for_the_siren_first(role_client, books):
    from lmb.services import get_company

    company = get_company()
    company.siren = ""
    company.save(update_fields=["siren"])
    client = role_client(roles.ACCOUNTANT)
    year = Period.objects.get(start=date(2025, 3, 1)).fiscal_year
    answer = client.get(reverse("accounting:fec_download"), {"fiscal_year": year.pk}, follow=True)
    assert "Renseignez d'abord le SIREN de l'entreprise" in page_text(answer)


def test_exports_page_fec_button_spreadsheets_and_csv(role_client, books):
    client = role_client(roles.ACCOUNTANT)
    assert client.get(reverse("accounting:exports")).status_code == 200
    year = Period.objects.get(start=date(2025, 3, 1)).fiscal_year
    fec = client.get(reverse("accounting:fec_download"), {"fiscal_year": year.pk})
    assert fec.status_code == 200 and 'filename="902114305FEC20251231.txt"' in fec["Content-Disposition"]
    text = b"".join(fec.streaming_content).decode("iso-8859-15")
    assert text.count("\r\n") == 1 + JournalLine.objects.count()
    period = {"start": "2025-01-01", "end": "2025-12-31"}
    balance = client.get(reverse("accounting:period_export"), {**period, "report": "trial_balance", "fmt": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(balance.streaming_content))).active.values)
    by_account = {row[0]: row for row in rows[1:]}
    assert sum(Decimal(str(row[2])) for row in rows[1:]) == sum(Decimal(str(row[3])) for row in rows[1:])
    assert Decimal(str(by_account["411000"][5])) == Decimal("50.00")  # a credit balance: the cheque on account
    ledger = client.get(reverse("accounting:period_export"), {**period, "report": "ledger", "fmt": "ods"})
    assert ledger.status_code == 200 and ledger["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    csv = b"".join(client.get(reverse("accounting:period_export"), {**period, "report": "csv"}).streaming_content)
    lines = csv.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Journal;NumEcriture;DateEcriture;Compte") and len(lines) == 1 + JournalLine.objects.count()
    assert ";03/03/2025;411000;" in csv.decode()
    bad = client.get(reverse("accounting:period_export"), {"start": "2025-12-31", "end": "2025-01-01", "report": "ledger"})
    assert bad.status_code == 200 and "La fin précède le début." in bad.content.decode()


def test_close_from_the_screen_and_letter_by_hand(role_client, books):
    client = role_client(roles.ACCOUNTANT)
    january = Period.objects.get(start=date(2025, 1, 1))
    client.post(reverse("accounting:period_action", args=[january.pk, "close"]))
    january.refresh_from_db()
    assert january.is_closed
    march = Period.objects.get(start=date(2025, 3, 1))
    client.post(reverse("accounting:period_action", args=[march.pk, "close"]))  # February is still open: refused
    march.refresh_from_db()
    assert not march.is_closed
    open_lines = JournalLine.objects.filter(account__number="411000", lettering_code="")
    assert open_lines.count() == 1
    page = client.get(reverse("accounting:lettering"))
    assert page.status_code == 200 and "50,00" in page.content.decode()
    # Unletter an automatic match, then letter it again by hand.
    code = JournalLine.objects.filter(account__number="411000").exclude(lettering_code="").first().lettering_code
    client.post(reverse("accounting:lettering"), {"unletter": code})
    freed = list(JournalLine.objects.filter(account__number="411000", lettering_code="").exclude(credit=Decimal("50.00")))
    assert len(freed) == 2
    client.post(reverse("accounting:lettering"), {"line": [line.pk for line in freed]})
    assert JournalLine.objects.filter(pk__in=[line.pk for line in freed], lettering_code="").count() == 0


def test_the_warehouse_role_is_kept_out(role_client, books):
    client = role_client(roles.WAREHOUSE)
    assert client.get(reverse("accounting:exports")).status_code == 403
    assert client.get(reverse("accounting:entry_list")).status_code == 403


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_posting_pending_entries_never_redirects_off_the_site(shop, role_client, target):
    response = role_client(roles.ACCOUNTANT).post(reverse("accounting:post_pending"), {"next": target})
    assert response.status_code == 302 and response["Location"] == reverse("accounting:entry_list")


def test_posting_pending_entries_goes_back_to_a_page_of_the_site(shop, role_client):
    back = reverse("accounting:lettering") + "?account=411"
    response = role_client(roles.ACCOUNTANT).post(reverse("accounting:post_pending"), {"next": back})
    assert response["Location"] == back


def _selected_account(page: str) -> str:
    """The account number the lettering selector shows (the browser shows the first option
    when none is marked selected)."""
    select = re.search(r'<select name="account"[^>]*>(.*?)</select>', page, re.S).group(1)
    options = re.findall(r'<option value="\d+"( selected)?>(\d+) ', select)
    chosen = [number for selected, number in options if selected] or [options[0][1]]
    return chosen[0]


def test_the_lettering_selector_shows_the_account_whose_lines_are_listed(role_client, books):
    """The screen listed the open lines of 411000 under a selector showing 401000 (its first
    option, as nothing was selected): what is chosen and what is listed must be one account."""
    client = role_client(roles.ACCOUNTANT)
    suppliers = Account.objects.get(number="401000")
    page = page_text(client.get(reverse("accounting:lettering")))
    assert _selected_account(page) == "411000"
    assert "Lignes non lettrées du compte 411000" in page and "50,00" in page
    # Choosing another account lists that account, shown as chosen.
    page = page_text(client.get(reverse("accounting:lettering"), {"account": suppliers.pk}))
    assert _selected_account(page) == "401000" and "50,00" not in page
    # Only a code of a third party: still the default account, shown as chosen.
    page = page_text(client.get(reverse("accounting:lettering"), {"auxiliary": "C-NOBODY"}))
    assert _selected_account(page) == "411000"
    # An account that does not exist: said beside the selector, and nothing is listed under it.
    response = client.get(reverse("accounting:lettering"), {"account": "999999"})
    assert response.status_code == 200 and response.context["lines"] == []
    assert 'data-error-for="account"' in page_text(response)


def test_the_mapping_names_vat_treatments_and_payment_methods_in_french(role_client):
    """The rules showed sales' stored values (``eu_b2b``, ``direct_debit``, ``card``)."""
    client = role_client(roles.ACCOUNTANT)
    page = page_text(client.get(reverse("accounting:mapping_list"), {"sort": "role"}))
    assert "Intracommunautaire (entreprise)" in page and "Prélèvement" in page and "Carte bancaire" in page
    assert not re.search(r">(eu_b2b|eu_oss|overseas|direct_debit|card|cash|cheque|transfer)<", page)
    export = client.get(reverse("accounting:mapping_list"), {"export": "xlsx"})
    rows = [[cell.value for cell in row] for row in load_workbook(io.BytesIO(b"".join(export.streaming_content))).active]
    assert "Virement" in {row[5] for row in rows} and "eu_b2b" not in {row[2] for row in rows}
