"""Deposits deducted in part, over several invoices (DEP-01, YE-03/04; issue #22): a web order paid
at checkout and shipped in parcels gets one invoice per parcel, each of exactly what the parcel
held, the deposit deducted once over them — never more than it still stands for, oldest deposit
first, even with two issuers at once — and in the books the deposit's VAT and 4191 come back to
exactly zero."""

import importlib
import io
import re
import threading
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from accounting import services as accounting
from accounting.models import JournalEntry, JournalLine
from lmb import roles
from lmb.errors import Conflict
from sales import pdfs, queries, services
from sales.facturx import NS
from sales.models import DepositDeduction, Invoice, PaymentMethod
from stock import services as stock_services
from tests.factories import ProductFactory
from tests.helpers import page_text
from tests.sales.facturx_validation import assert_valid_factur_x

ZERO = Decimal("0.00")


def goods(shop, price: str):
    """A product sold tax included at ``price`` (20 %), in stock."""
    product = ProductFactory(designation=f"Article à {price}", sale_price=Decimal(price), price_includes_tax=True)
    stock_services.receive(product=product, warehouse=shop.warehouse, quantity=10, unit_cost=Decimal("1.00"))
    return product


def web_order(shop, *prices: str):
    """A web order (prices tax included) of one article per price, confirmed; its lines in order."""
    lines = [{"product": goods(shop, price), "quantity": 1} for price in prices]
    order = services.confirm_order(services.create_order(customer=shop.walk_in, channel=shop.web, lines=lines))
    return order, list(order.lines.filter(kind="product").order_by("position"))


def deposit(order, amount) -> Invoice:
    return services.receive_deposit(order, amount=Decimal(amount), method=PaymentMethod.CARD)


def parcel(order, *lines):
    """A delivery note of the given order lines, shipped."""
    note = services.create_delivery_note(order, quantities={line.pk: line.quantity for line in lines})
    return services.ship_delivery_note(note)


def invoice_of(note) -> Invoice:
    return services.issue_invoice(services.create_invoice(delivery_notes=[note]))


def deducted(invoice) -> list[tuple[str, Decimal]]:
    """[(deposit number, amount deducted)] of an invoice, as the PDF lists them."""
    return [
        (deduction.deposit.number, deduction.amount)
        for deduction in invoice.deposit_deductions.select_related("deposit").order_by("deposit__invoice_date", "deposit__pk")
    ]


def left(deposit_invoice) -> Decimal:
    [(_pk, value)] = queries.deposits_left([deposit_invoice.pk])
    return value


def summation(xml, name) -> Decimal:
    [value] = etree.fromstring(xml).xpath(
        f"//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:{name}/text()", namespaces=NS
    )
    return Decimal(value)


def referenced(xml) -> list[str]:
    return etree.fromstring(xml).xpath("//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()", namespaces=NS)


def pdf_text(invoice) -> str:
    content = bytes(pdfs.issued_pdf(invoice).content)
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


@pytest.mark.django_db
def test_a_web_order_paid_in_full_and_shipped_in_two_parcels_gives_two_invoices_each_settled_by_the_deposit(shop):
    order, (first_line, second_line) = web_order(shop, "33.33", "66.67")
    paid = deposit(order, order.total_incl_tax)
    assert paid.total_incl_tax == Decimal("100.00")

    first = invoice_of(parcel(order, first_line))
    assert [(line.order_line_id, line.quantity) for line in first.lines.filter(kind="product")] == [(first_line.pk, 1)]
    assert first.total_incl_tax == Decimal("33.33")
    assert (first.deposits_total, first.amount_due) == (Decimal("33.33"), ZERO)
    assert deducted(first) == [(paid.number, Decimal("33.33"))]
    assert not first.installments.exists() and queries.invoice_balance(first) == 0
    assert left(paid) == Decimal("66.67")

    second = invoice_of(parcel(order, second_line))
    assert [(line.order_line_id, line.quantity) for line in second.lines.filter(kind="product")] == [(second_line.pk, 1)]
    assert (second.total_incl_tax, second.deposits_total, second.amount_due) == (Decimal("66.67"), Decimal("66.67"), ZERO)
    assert deducted(second) == [(paid.number, Decimal("66.67"))]

    # The deposit is deducted once over both: what was paid, no more, nothing left.
    assert DepositDeduction.objects.filter(deposit=paid).aggregate(total=Sum("amount"))["total"] == paid.total_incl_tax
    assert left(paid) == ZERO

    for invoice, amount in ((first, "33.33"), (second, "66.67")):
        xml = assert_valid_factur_x(invoice)
        assert summation(xml, "TotalPrepaidAmount") == Decimal(amount) and summation(xml, "DuePayableAmount") == ZERO
        assert referenced(xml) == [paid.number]  # BG-3: the deposit invoice deducted
    # Each PDF names the deposit, its total, and what this invoice deducts of it.
    text = pdf_text(second)
    assert f"Acompte facturé n° {paid.number} du {paid.invoice_date:%d/%m/%Y} (100,00 € TTC) − 66,67 €" in text
    assert "Acomptes déduits TTC − 66,67 €" in text and "Net à payer 0,00 €" in text


@pytest.mark.django_db
def test_a_third_parcel_beyond_the_deposit_finds_nothing_left_to_deduct(shop):
    order, lines = web_order(shop, "20.00", "30.00", "50.00")
    paid = deposit(order, "50.00")  # the first two parcels' worth
    first, second = invoice_of(parcel(order, lines[0])), invoice_of(parcel(order, lines[1]))
    assert [(i.deposits_total, i.amount_due) for i in (first, second)] == [(Decimal("20.00"), ZERO), (Decimal("30.00"), ZERO)]
    third = invoice_of(parcel(order, lines[2]))
    assert (third.deposits_total, third.amount_due) == (ZERO, Decimal("50.00"))
    assert deducted(third) == [] and not third.deducted_deposits.exists()
    assert [(i.amount, i.due_date) for i in third.installments.all()] == [(Decimal("50.00"), third.due_date)]
    xml = assert_valid_factur_x(third)
    assert referenced(xml) == [] and summation(xml, "DuePayableAmount") == Decimal("50.00")
    assert left(paid) == ZERO


@pytest.mark.django_db
def test_a_deposit_smaller_than_the_first_invoice_is_deducted_whole_on_it_and_not_on_the_next(shop):
    order, (first_line, second_line) = web_order(shop, "33.33", "66.67")
    paid = deposit(order, "20.00")
    first = invoice_of(parcel(order, first_line))
    assert (first.deposits_total, first.amount_due) == (Decimal("20.00"), Decimal("13.33"))
    assert deducted(first) == [(paid.number, Decimal("20.00"))]
    second = invoice_of(parcel(order, second_line))
    assert (second.deposits_total, second.amount_due) == (ZERO, Decimal("66.67")) and deducted(second) == []
    assert_valid_factur_x(first)
    assert_valid_factur_x(second)


def refund(deposit_invoice, amount: str | None = None):
    """A credit note on the deposit invoice: all of it, or ``amount`` of its one line."""
    [line] = deposit_invoice.lines.all()
    lines = None if amount is None else [{"invoice_line": line.pk, "quantity": 1, "unit_price": amount}]
    return services.create_credit_note(deposit_invoice, reason="Remboursement", lines=lines)


@pytest.mark.django_db
def test_a_deposit_partly_refunded_is_deducted_for_what_it_still_stands_for(shop):
    order, (first_line, second_line) = web_order(shop, "33.33", "66.67")
    paid = deposit(order, "60.00")
    services.issue_credit_note(refund(paid, "25.00"))
    assert queries.deposit_value(paid) == left(paid) == Decimal("35.00")
    first = invoice_of(parcel(order, first_line))
    assert (first.deposits_total, first.amount_due) == (Decimal("33.33"), ZERO)
    second = invoice_of(parcel(order, second_line))
    assert (second.deposits_total, second.amount_due) == (Decimal("1.67"), Decimal("65.00"))
    assert deducted(first) + deducted(second) == [(paid.number, Decimal("33.33")), (paid.number, Decimal("1.67"))]
    assert left(paid) == ZERO
    assert_valid_factur_x(second)


@pytest.mark.django_db
def test_only_what_invoices_have_not_deducted_of_a_deposit_can_be_refunded(shop):
    order, (first_line, second_line) = web_order(shop, "33.33", "66.67")
    paid = deposit(order, "60.00")
    invoice_of(parcel(order, first_line))  # deducts 33.33 of it
    with pytest.raises(Conflict, match="reste à déduire"):
        services.issue_credit_note(refund(paid))
    services.issue_credit_note(refund(paid, "26.67"))  # the rest: the customer cancels the second article
    assert left(paid) == ZERO
    second = invoice_of(parcel(order, second_line))
    assert (second.deposits_total, second.amount_due) == (ZERO, Decimal("66.67"))


@pytest.mark.django_db
def test_two_deposits_are_deducted_oldest_first(shop):
    order, (first_line, second_line) = web_order(shop, "33.33", "66.67")
    older, newer = deposit(order, "30.00"), deposit(order, "50.00")
    first = invoice_of(parcel(order, first_line))
    assert deducted(first) == [(older.number, Decimal("30.00")), (newer.number, Decimal("3.33"))]
    assert (first.deposits_total, first.amount_due) == (Decimal("33.33"), ZERO)
    second = invoice_of(parcel(order, second_line))
    assert deducted(second) == [(newer.number, Decimal("46.67"))]
    assert (second.deposits_total, second.amount_due) == (Decimal("46.67"), Decimal("20.00"))
    assert (left(older), left(newer)) == (ZERO, ZERO)
    assert referenced(assert_valid_factur_x(first)) == [older.number, newer.number]
    assert referenced(assert_valid_factur_x(second)) == [newer.number]


def _entry_lines(document) -> dict[str, Decimal]:
    """{account: debit − credit} of a document's entry, which balances."""
    entry = JournalEntry.objects.get(source_type="invoice", source_id=document.pk)
    lines = list(entry.lines.select_related("account"))
    assert sum(line.debit for line in lines) == sum(line.credit for line in lines), entry
    amounts = {}
    for line in lines:
        amounts[line.account.number] = amounts.get(line.account.number, ZERO) + line.debit - line.credit
    return amounts


def _balance(number, documents) -> Decimal:
    totals = JournalLine.objects.filter(
        account__number=number, entry__source_type="invoice", entry__source_id__in=[document.pk for document in documents]
    ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or ZERO) - (totals["credit"] or ZERO)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "prices, vat_given_back",
    [
        (["33.33", "66.67"], ["5.56", "11.11"]),  # 16.67 × 33.33 % = 5.556 → 5.56; the last takes the rest
        (["33.33", "33.33", "33.34"], ["5.56", "5.56", "5.55"]),  # 5.56 twice, then 16.67 − 11.12
    ],
)
def test_in_the_books_the_deposit_vat_and_4191_come_back_to_exactly_zero_over_the_parcels(shop, prices, vat_given_back):
    order, lines = web_order(shop, *prices)
    paid = deposit(order, order.total_incl_tax)
    assert (paid.total_incl_tax, paid.total_excl_tax, paid.total_vat) == (Decimal("100.00"), Decimal("83.33"), Decimal("16.67"))
    invoices = [invoice_of(parcel(order, line)) for line in lines]
    report = accounting.post_pending()
    assert report.errors == []

    entries = [_entry_lines(invoice) for invoice in invoices]
    assert [entry["445711"] + invoice.total_vat for entry, invoice in zip(entries, invoices, strict=True)] == [
        Decimal(value) for value in vat_given_back
    ]  # the entry's VAT line nets the invoice's VAT (credit) and the deposit's given back (debit)
    assert [entry["411000"] for entry in entries] == [ZERO] * len(invoices)  # each invoice paid by the deposit
    documents = [paid, *invoices]
    assert _balance("419100", documents) == ZERO
    # VAT collected: the invoices' own, the deposit's given back to the cent.
    assert _balance("445711", documents) == -sum((invoice.total_vat for invoice in invoices), ZERO)
    assert _balance("411000", documents) + _payment_411(paid) == ZERO


def _payment_411(paid) -> Decimal:
    payment = paid.allocations.get().payment
    totals = JournalLine.objects.filter(
        account__number="411000", entry__source_type="payment", entry__source_id=payment.pk
    ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or ZERO) - (totals["credit"] or ZERO)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid())"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_invoices_of_one_order_issued_at_once_never_deduct_more_than_the_deposit(shop):
    """The first issuer holds its transaction open after deducting; the second, started then,
    waits for it (on the deposit invoice's lock) and deducts only what the first left."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is a PostgreSQL matter; SQLite serialises writers")
    shop.web.invoicing_policy = "manual"  # the test issues the two invoices itself (commits run the subscribers here)
    shop.web.save()
    order, (first_line, second_line) = web_order(shop, "40.00", "40.00")
    paid = deposit(order, "50.00")
    drafts = [services.create_invoice(delivery_notes=[parcel(order, line)]).pk for line in (first_line, second_line)]
    first_deducted, release, failures = threading.Event(), threading.Event(), []

    def first_issuer():
        try:
            with transaction.atomic():
                services.issue_invoice(Invoice.objects.get(pk=drafts[0]))
                first_deducted.set()
                release.wait(timeout=60)
        except Exception as exc:  # reported below
            failures.append(repr(exc))
            first_deducted.set()
        finally:
            connection.close()

    def second_issuer():
        try:
            first_deducted.wait(timeout=60)
            services.issue_invoice(Invoice.objects.get(pk=drafts[1]))
        except Exception as exc:
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=first_issuer), threading.Thread(target=second_issuer)]
    for thread in threads:
        thread.start()
    first_deducted.wait(timeout=60)
    waited = False
    for _attempt in range(100_000):  # until the second issuer waits on a lock the first holds
        if waited := _waiting_on_a_lock():
            break
        if not threads[1].is_alive():
            break
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == [] and waited  # they did overlap: the second waited for the first

    first, second = Invoice.objects.get(pk=drafts[0]), Invoice.objects.get(pk=drafts[1])
    assert (first.deposits_total, first.amount_due) == (Decimal("40.00"), ZERO)
    assert (second.deposits_total, second.amount_due) == (Decimal("10.00"), Decimal("30.00"))
    assert DepositDeduction.objects.filter(deposit=paid).aggregate(total=Sum("amount"))["total"] == Decimal("50.00")
    assert left(paid) == ZERO


migration = importlib.import_module("sales.migrations.0015_fill_deposit_deduction_amounts")


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="sets the freezing trigger aside inside the test's transaction")
def test_the_deductions_made_before_the_amount_column_get_the_whole_value_of_their_deposit(shop):
    """sales 0015: every deduction was whole before; the amount filled is what the deposit stood
    for when the invoice was issued (its credit notes issued before deducted)."""
    order, lines = web_order(shop, "33.33", "66.67")
    credited, other = deposit(order, "30.00"), deposit(order, "20.00")
    services.issue_credit_note(
        services.create_credit_note(
            credited,
            reason="Remboursement",
            lines=[{"invoice_line": credited.lines.get().pk, "quantity": 1, "unit_price": "5.00"}],
        )
    )
    both = invoice_of(parcel(order, *lines))
    alone_order, alone_lines = web_order(shop, "10.00")
    alone_deposit = deposit(alone_order, "10.00")
    alone = invoice_of(parcel(alone_order, *alone_lines))
    with connection.cursor() as cursor:  # the rows as 0014 left them (undone with the test)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred foreign-key check pending: the table can be altered
        cursor.execute(f"ALTER TABLE {migration.TABLE} DISABLE TRIGGER {migration.TRIGGER}")
        cursor.execute(f"UPDATE {migration.TABLE} SET amount = 0")
        cursor.execute(f"ALTER TABLE {migration.TABLE} ENABLE TRIGGER {migration.TRIGGER}")

    with connection.schema_editor() as editor:
        migration.fill_amounts(apps, editor)

    assert deducted(both) == [(credited.number, Decimal("25.00")), (other.number, Decimal("20.00"))]
    assert deducted(alone) == [(alone_deposit.number, Decimal("10.00"))]
    # The trigger guards the rows again.
    with pytest.raises(IntegrityError, match="Une facture émise ne se modifie pas"), transaction.atomic():
        DepositDeduction.objects.filter(invoice=alone).update(amount=1)


def visible(response) -> str:
    """The page's text without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())


@pytest.mark.django_db
def test_the_invoice_page_shows_what_it_deducts_and_the_deposit_page_where_it_went(shop, role_client):
    client = role_client(roles.SALES)
    order, (first_line, second_line) = web_order(shop, "33.33", "66.67")
    paid = deposit(order, order.total_incl_tax)
    first, second = invoice_of(parcel(order, first_line)), invoice_of(parcel(order, second_line))
    text = visible(client.get(reverse("sales:invoice_detail", args=[second.pk])))
    assert f"Acomptes déduits {paid.number} (100,00 €) : 66,67 €" in text
    text = visible(client.get(reverse("sales:invoice_detail", args=[paid.pk])))
    assert f"Acompte déduit sur {first.number} : 33,33 € {second.number} : 66,67 €" in text
