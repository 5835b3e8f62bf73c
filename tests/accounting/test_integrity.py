"""What keeps the books right: closed periods take no entry, posted entries never change (model
and PostgreSQL triggers), every entry balances, concurrent posters post each document once,
manual lettering only matches lines that balance."""

import multiprocessing
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from accounting import lettering, services
from accounting.models import JournalEntry, JournalLine, Period
from lmb.errors import Conflict, InvalidInput
from purchasing import services as purchasing
from sales import services as sales
from sales.models import Invoice, PaymentMethod
from tests.accounting.conftest import on
from tests.factories import ThirdPartyFactory

CAPITAL = [{"account": "512100", "debit": "100.00"}, {"account": "101000", "credit": "100.00"}]


def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("triggers and concurrency are PostgreSQL matters")


def manual(day, lines=CAPITAL, piece="OD-1"):
    return services.post_manual_entry(journal="OD", day=day, piece_ref=piece, label="Apport en capital", lines=lines)


def invoice_on(shop, day):
    with on(day):
        draft = sales.create_direct_invoice(
            customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.fitting, "quantity": 1}]
        )
        return sales.issue_invoice(draft, issue_date=day)


def supplier_invoice_of(day):
    supplier = ThirdPartyFactory(name="Faïencerie de Quimper", is_customer=False, is_supplier=True)
    lines = [{"description": "Transport", "quantity": 1, "unit_price": Decimal("45.00"), "vat_rate": 20}]
    draft = purchasing.create_supplier_invoice(supplier=supplier, number="F-7", invoice_date=day, due_date=day, lines=lines)
    return purchasing.record_supplier_invoice(draft)


@pytest.mark.django_db
def test_a_closed_period_refuses_entries_and_late_documents_go_to_the_first_open_one(shop):
    manual(date(2025, 1, 10))
    january, february = Period.objects.get(start=date(2025, 1, 1)), Period.objects.get(start=date(2025, 2, 1))
    with pytest.raises(Conflict):
        services.close_period(february)  # January first: the books close in order
    services.close_period(january)
    with pytest.raises(Conflict):
        manual(date(2025, 1, 20), piece="OD-2")
    assert JournalEntry.objects.count() == 1
    with pytest.raises(Conflict, match="clôturée"):  # sales issues nothing dated in a closed period
        invoice_on(shop, date(2025, 1, 28))
    # A supplier's January invoice received after the close: booked on 1 February, its own date kept as PieceDate.
    late = supplier_invoice_of(date(2025, 1, 25))
    assert services.post_pending().posted == 1
    entry = JournalEntry.objects.get(source_type="supplier_invoice", source_id=late.pk)
    assert (entry.date, entry.piece_date, entry.period) == (date(2025, 2, 1), date(2025, 1, 25), february)
    if connection.vendor == "postgresql":  # the database refuses it too
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO accounting_journalentry (journal_id, number, fiscal_year_id, period_id, date, piece_ref,"
                " piece_date, label, source_type, posted_at) SELECT journal_id, 99, fiscal_year_id, %s, '2025-01-05', 'X',"
                " '2025-01-05', 'X', '', now() FROM accounting_journalentry LIMIT 1",
                [january.pk],
            )
    services.reopen_period(january)
    assert manual(date(2025, 1, 20), piece="OD-2").date == date(2025, 1, 20)


@pytest.mark.django_db
def test_posted_entries_never_change_and_always_balance(shop):
    entry = manual(date(2025, 3, 3))
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    line = entry.lines.first()
    line.debit = Decimal("1.00")
    with pytest.raises(ValidationError):
        line.save()
    with pytest.raises(ValidationError):
        line.delete()
    line.refresh_from_db()
    line.lettering_code = "B"
    line.save(update_fields=["lettering_code"])  # lettering is the one change allowed
    with pytest.raises(InvalidInput):
        manual(date(2025, 3, 4), lines=[{"account": "512100", "debit": "100.00"}, {"account": "101000", "credit": "99.99"}])
    with pytest.raises(InvalidInput):
        manual(date(2025, 3, 4), lines=[{"account": "999999", "debit": "1"}, {"account": "101000", "credit": "1"}])
    assert JournalEntry.objects.count() == 1 and JournalLine.objects.count() == 2
    postgres_only()
    line = entry.lines.first()
    for statement in (
        f"UPDATE accounting_journalline SET debit = 1 WHERE id = {line.pk}",
        f"DELETE FROM accounting_journalline WHERE id = {line.pk}",
        f"UPDATE accounting_journalentry SET label = 'x' WHERE id = {entry.pk}",
        f"INSERT INTO accounting_journalline (entry_id, position, account_id, auxiliary_number, auxiliary_label, label, debit,"
        f" credit, currency, lettering_code) VALUES ({entry.pk}, 9, {line.account_id}, '', '', 'x', 5, 0, '', '')",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the balance check runs at commit
    # Lettering is the one thing that may change on a posted line.
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE accounting_journalline SET lettering_code = 'Z' WHERE id = {line.pk}")
    assert JournalLine.objects.get(pk=line.pk).lettering_code == "Z"


@pytest.mark.django_db
def test_manual_lettering_matches_only_lines_that_balance(shop):
    invoice = invoice_on(shop, date(2025, 4, 2))
    with on(date(2025, 4, 20)):
        sales.record_payment(customer=shop.bakery, amount="30.00", method=PaymentMethod.CHEQUE, payment_date=date(2025, 4, 20))
        sales.record_payment(customer=shop.bakery, amount=invoice.total_incl_tax - Decimal(30), method=PaymentMethod.TRANSFER)
    services.post_pending()
    lines = JournalLine.objects.filter(account__number="411000").order_by("pk")
    assert [line.lettering_code for line in lines] == ["", "", ""]  # nothing allocated: nothing lettered automatically
    with pytest.raises(InvalidInput):
        lettering.letter_lines(line_ids=[lines[0].pk, lines[1].pk])
    code = lettering.letter_lines(line_ids=[line.pk for line in lines])
    codes = JournalLine.objects.filter(account__number="411000").values_list("lettering_code", flat=True)
    assert code == "A" and set(codes) == {"A"}
    with pytest.raises(Conflict):
        lettering.letter_lines(line_ids=[line.pk for line in lines])
    assert lettering.unletter(account_id=lines[0].account_id, code="A") == 3
    assert lettering.letters(27) == "AA" and lettering.letters(26) == "Z"


_INHERITED = []


def _post_in_a_process(start, failures):
    try:
        for conn in connections.all():  # the parent's sockets: neither used nor closed here
            _INHERITED.append(conn.connection)
            conn.connection = None
        start.wait(timeout=60)
        report = services.post_pending()
        if report.errors:
            failures.put(repr(report.errors))
    except Exception as exc:  # reported to the parent
        failures.put(repr(exc))
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_four_processes_posting_at_once_post_each_document_once(shop):
    postgres_only()
    for day in range(1, 9):
        invoice = invoice_on(shop, date(2025, 5, day))
        with on(date(2025, 5, day)):
            sales.record_payment(
                customer=shop.bakery, amount=invoice.total_incl_tax, method=PaymentMethod.CARD, invoices=[invoice]
            )
    context = multiprocessing.get_context("fork")
    start, failures = context.Barrier(4), context.Queue()
    connections.close_all()
    workers = [context.Process(target=_post_in_a_process, args=(start, failures)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    errors = [failures.get() for _ in range(failures.qsize())] if not failures.empty() else []
    assert errors == [] and all(worker.exitcode == 0 for worker in workers)
    assert JournalEntry.objects.filter(source_type="invoice").count() == Invoice.objects.count() == 8
    assert JournalEntry.objects.filter(source_type="payment").count() == 8
    for code in ("VT", "BQ1"):
        numbers = list(JournalEntry.objects.filter(journal__code=code).order_by("number").values_list("number", flat=True))
        assert numbers == list(range(1, 9))
    lettered = JournalLine.objects.filter(account__number="411000").exclude(lettering_code="")
    assert lettered.count() == 16 and len(set(lettered.values_list("lettering_code", flat=True))) == 8


@pytest.mark.django_db
def test_a_free_promotional_voucher_spent_is_a_discount_not_a_liability(shop):
    invoice = invoice_on(shop, date(2025, 6, 2))
    gift = sales.issue_voucher(amount="10.00", customer=shop.bakery)
    with on(date(2025, 6, 3)):
        sales.record_payment(
            customer=shop.bakery, amount="10.00", method=PaymentMethod.VOUCHER, voucher_code=gift.code, invoices=[invoice]
        )
    services.post_pending()
    entry = JournalEntry.objects.get(source_type="payment")
    assert {(line.account.number, line.debit, line.credit) for line in entry.lines.select_related("account")} == {
        ("709700", Decimal("10.00"), Decimal("0.00")),
        ("411000", Decimal("0.00"), Decimal("10.00")),
    }
    assert not JournalLine.objects.filter(account__number="419800").exists()
