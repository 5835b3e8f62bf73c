"""A year of documents of every kind becomes balanced entries on the mapped accounts; posting twice
posts once; lettering follows allocations; foreign currency keeps its amounts."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from accounting import services
from accounting.models import JournalEntry, JournalLine
from sales.models import CreditNote, Invoice, Payment, Voucher

ZERO = Decimal("0.00")


def balance(number, **filters):
    totals = JournalLine.objects.filter(account__number=number, **filters).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (totals["d"] or ZERO) - (totals["c"] or ZERO)


def entry_of(document, source_type):
    return JournalEntry.objects.get(source_type=source_type, source_id=document.pk)


def lines_of(document, source_type):
    """{account: signed amount} of a document's entry (debit positive)."""
    amounts = defaultdict(lambda: ZERO)
    for line in entry_of(document, source_type).lines.select_related("account"):
        amounts[line.account.number] += line.debit - line.credit
    return dict(amounts)


@pytest.mark.django_db
def test_a_year_of_documents_posts_balanced_entries_on_the_mapped_accounts(year, shop):
    report = services.post_pending()
    assert report.errors == []
    issued = (
        Invoice.objects.filter(status="issued").count()
        + CreditNote.objects.filter(status="issued").count()
        + Payment.objects.count()
        + Voucher.objects.filter(credit_note__isnull=False).count()
        + len(year.supplier_invoices)
    )
    assert report.posted == issued == JournalEntry.objects.count()

    # Every entry balances, every journal balances, and so does the whole.
    for entry in JournalEntry.objects.annotate(d=Sum("lines__debit"), c=Sum("lines__credit")):
        assert entry.d == entry.c and entry.d > 0, entry
    for journal in JournalLine.objects.values("entry__journal__code").annotate(d=Sum("debit"), c=Sum("credit")):
        assert journal["d"] == journal["c"], journal
    # Numbers: one continuous series per journal and fiscal year.
    for code, fiscal_year in JournalEntry.objects.values_list("journal__code", "fiscal_year").distinct():
        numbers = list(
            JournalEntry.objects.filter(journal__code=code, fiscal_year=fiscal_year)
            .order_by("number")
            .values_list("number", flat=True)
        )
        assert numbers == list(range(1, len(numbers) + 1))

    fr = year.invoices["fr"]
    fr_lines = lines_of(fr, "invoice")
    goods = sum((line.net_amount for line in fr.lines.filter(kind="product", product__kind="goods")), ZERO)
    assert fr_lines["411000"] == fr.total_incl_tax
    assert fr_lines["707100"] == -goods
    assert fr_lines["706100"] == -fr.lines.get(product=shop.fitting).net_amount
    assert fr_lines["707800"] == -sum((line.net_amount for line in fr.lines.filter(kind="eco")), ZERO)
    vat = {Decimal(group["rate"]): Decimal(group["vat"]) for group in fr.vat_breakdown}
    assert fr_lines["445711"] == -vat[Decimal(20)] and fr_lines["445713"] == -vat[Decimal("5.5")]
    entry = entry_of(fr, "invoice")
    assert (entry.journal.code, entry.date, entry.piece_ref, entry.piece_date) == (
        "VT",
        fr.invoice_date,
        fr.number,
        fr.invoice_date,
    )
    customer_line = entry.lines.get(account__number="411000")
    assert (customer_line.auxiliary_number, customer_line.auxiliary_label) == (fr.customer.code, fr.customer.name)

    eu = lines_of(year.invoices["eu_b2b"], "invoice")
    assert set(eu) == {"411000", "707200", "706200"}  # exempt goods, reverse-charged service: no VAT
    oss = lines_of(year.invoices["oss"], "invoice")
    assert set(oss) == {"411000", "707500", "445719"} and oss["445719"] == -year.invoices["oss"].total_vat
    assert set(lines_of(year.invoices["overseas"], "invoice")) == {"411000", "707400"}

    # Vouchers: 50 sold, 30 spent, and the German customer's credit note turned into one.
    voucher_credit = year.credit_notes["voucher"].total_incl_tax
    assert balance("419800") == -(Decimal("50.00") - Decimal("30.00") + voucher_credit)
    # Payments by method: cheques to cash, PayPal, cash register.
    assert balance("511200") == year.invoices["eu_b2b"].amount_due
    assert balance("512200") == year.invoices["oss"].amount_due
    assert entry_of(Payment.objects.get(method="cash", purpose="settlement"), "payment").journal.code == "CA"
    # The refunded credit note: sales and VAT reversed, money out of the bank.
    refund = lines_of(year.credit_notes["refund"], "credit_note")
    assert refund["411000"] == -year.credit_notes["refund"].total_incl_tax and refund["707100"] > 0
    # Purchases: goods and services, deductible VAT, the supplier's account.
    supplies = sum((invoice.total_excl_tax for invoice in year.supplier_invoices), ZERO)
    assert balance("607100") == supplies
    assert balance("445660") == sum((invoice.total_vat for invoice in year.supplier_invoices), ZERO)
    assert balance("401000") == -sum((invoice.total_incl_tax for invoice in year.supplier_invoices), ZERO)
    assert JournalLine.objects.filter(account__number="401000").exclude(auxiliary_number="").count() == 2

    # Nothing left to post: a second run posts nothing.
    again = services.post_pending()
    assert (again.posted, again.errors) == (0, [])
    assert JournalEntry.objects.count() == issued


def check_deposit_across_year_end_counts_its_vat_once_and_empties_4191(year):
    deposit = lines_of(year.deposit, "invoice")
    assert entry_of(year.deposit, "invoice").date == date(2025, 12, 30)
    assert deposit["419100"] == -year.deposit.total_excl_tax and deposit["445711"] == -year.deposit.total_vat
    final = year.invoices["after_deposit"]
    final_lines = lines_of(final, "invoice")
    assert final_lines["419100"] == year.deposit.total_excl_tax  # YE-03: the deposit comes back out
    assert final_lines["411000"] == final.total_incl_tax - final.deposits_total == final.amount_due
    assert final_lines["445711"] == -(final.total_vat - year.deposit.total_vat)  # VAT of the deposit not counted twice
    assert balance("419100") == 0
    assert balance("419100", entry__date__lte=date(2025, 12, 31)) == -year.deposit.total_excl_tax
    # Paid in full by the deposit: the customer's lines of the deposit, its payment and the final invoice are lettered.
    # (by type and id: a payment or a credit note may have the same id as one of the invoices)
    customer_lines = JournalLine.objects.filter(
        account__number="411000",
        third_party=final.customer,
        entry__source_type="invoice",
        entry__source_id__in=[final.pk, year.deposit.pk],
    )
    codes = set(customer_lines.values_list("lettering_code", flat=True))
    assert len(codes) == 1 and "" not in codes


def check_swiss_invoice_in_chf_is_booked_in_euros_with_its_currency_amounts(year):
    invoice = year.invoices["chf"]
    lines = list(entry_of(invoice, "invoice").lines.select_related("account"))
    customer = next(line for line in lines if line.account.number == "411000")
    assert (customer.currency, customer.currency_amount) == ("CHF", invoice.total_incl_tax)
    assert customer.debit == (invoice.total_incl_tax / invoice.exchange_rate).quantize(Decimal("0.01"))
    assert {line.account.number for line in lines} <= {"411000", "707300", "758000"}
    # Paid a month later at 0.92 instead of 0.94: the customer is cleared at the invoice's rate, the gap is a gain.
    payment = lines_of(year.payments["chf"], "payment")
    assert payment["411000"] == -customer.debit
    received = (invoice.amount_due / Decimal("0.92")).quantize(Decimal("0.01"))
    assert payment["512100"] == received and payment["756000"] == -(received - customer.debit)
    assert (
        len(
            set(
                JournalLine.objects.filter(account__number="411000", third_party=invoice.customer).values_list(
                    "lettering_code", flat=True
                )
            )
        )
        == 1
    )


def check_paid_invoices_are_lettered_and_open_ones_are_not(year):
    fr_lines = JournalLine.objects.filter(account__number="411000", third_party=year.invoices["fr"].customer)
    # The invoice and its transfer settle each other; so do the later credit note and its refund.
    assert fr_lines.count() == 4 and fr_lines.filter(lettering_code="").count() == 0
    by_source = {(line.entry.source_type, line.entry.source_id): line for line in fr_lines.select_related("entry")}
    invoice, transfer = by_source["invoice", year.invoices["fr"].pk], by_source["payment", year.payments["fr"].pk]
    credit_note = by_source["credit_note", year.credit_notes["refund"].pk]
    assert invoice.lettering_code == transfer.lettering_code and invoice.lettering_date == date(2025, 2, 10)
    assert credit_note.lettering_code != invoice.lettering_code and credit_note.lettering_date == date(2025, 9, 10)
    overseas = JournalLine.objects.get(
        account__number="411000", entry__source_type="invoice", entry__source_id=year.invoices["overseas"].pk
    )
    assert overseas.lettering_code == ""


@pytest.mark.django_db
def test_deposits_foreign_currency_and_lettering(year):
    """One year built, three stories checked (the year takes seconds to build)."""
    services.post_pending()
    check_deposit_across_year_end_counts_its_vat_once_and_empties_4191(year)
    check_swiss_invoice_in_chf_is_booked_in_euros_with_its_currency_amounts(year)
    check_paid_invoices_are_lettered_and_open_ones_are_not(year)
