"""Accounting on the embedded SQLite default too (marked smoke: `make test` also runs it there):
posting, the FEC written by the generic iterator and passing the checks, the screens, and the
periodic task scheduled by migration 0004."""

from datetime import date

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from accounting import fec, fec_check, services
from accounting.models import JournalEntry
from lmb import roles
from sales import services as sales
from sales.models import PaymentMethod
from tests.accounting.conftest import on

pytestmark = [pytest.mark.smoke, pytest.mark.django_db]


def test_books_and_fec_on_any_database(shop, role_client, tmp_path):
    assert PeriodicTask.objects.get(task="accounting.tasks.post_pending").enabled
    with on(date(2025, 2, 3)):
        invoice = sales.issue_invoice(
            sales.create_direct_invoice(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.fitting, "quantity": 2}]),
            issue_date=date(2025, 2, 3),
        )
        sales.record_payment(
            customer=shop.bakery, amount=invoice.total_incl_tax, method=PaymentMethod.TRANSFER, invoices=[invoice]
        )
    report = services.post_pending()
    assert (report.posted, report.errors, report.lettered) == (2, [], 1)
    path = fec.export(fec.fiscal_year_of(2025), str(tmp_path), stream="iterator")
    checked = fec_check.check(path, siren=shop.company.siren, start=date(2025, 1, 1), closing=date(2025, 12, 31))
    assert checked.problems == [] and checked.lines == 5 and checked.entries == 2
    client = role_client(roles.ACCOUNTANT)
    for name in ("exports", "entry_list", "account_list", "mapping_list", "fiscal_years", "lettering"):
        assert client.get(reverse(f"accounting:{name}")).status_code == 200, name
    assert JournalEntry.objects.count() == 2
