"""An issued invoice or credit note never changes: the model layer refuses, PostgreSQL refuses a
raw UPDATE or DELETE, and ``verify_chain`` finds a row altered behind the application's back."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from sales import chain, services
from sales.models import CreditNote, Installment, Invoice, InvoiceLine


def issued_invoice(shop, quantity=2):
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": quantity}])
    )
    services.ship_delivery_note(services.create_delivery_note(order))
    return services.issue_invoice(services.invoice_order(order))


@pytest.mark.django_db
def test_the_model_layer_refuses_to_change_or_delete_an_issued_invoice(shop):
    invoice = issued_invoice(shop)
    invoice.total_incl_tax = 0
    with pytest.raises(ValidationError, match="avoir"):
        invoice.save()
    with pytest.raises(ValidationError, match="avoir"):
        Invoice.objects.get(pk=invoice.pk).delete()
    credit_note = services.issue_credit_note(services.create_credit_note(invoice, reason="Erreur de prix"))
    credit_note.reason = "Autre chose"
    with pytest.raises(ValidationError):
        credit_note.save()
    assert Invoice.objects.get(pk=invoice.pk).total_incl_tax > 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE sales_invoice SET total_incl_tax = 1 WHERE id = {invoice}",
        "DELETE FROM sales_invoice WHERE id = {invoice}",
        "UPDATE sales_invoiceline SET unit_price = 0 WHERE document_id = {invoice}",
        "DELETE FROM sales_invoiceline WHERE document_id = {invoice}",
        "INSERT INTO sales_invoiceline (document_id, position, kind, description, quantity, unit, unit_price,"
        " discount_percent, vat_rate, vat_category, vat_exemption_code, net_amount, gross_amount)"
        " VALUES ({invoice}, 9, 'text', 'Ajout', 1, 'C62', 5, 0, 20, 'S', '', 5, 6)",
        "UPDATE sales_installment SET amount = 0 WHERE invoice_id = {invoice}",
        "DELETE FROM sales_invoice_orders WHERE invoice_id = {invoice}",
        "UPDATE sales_creditnote SET total_incl_tax = 0 WHERE id = {credit_note}",
        "UPDATE sales_creditnoteline SET quantity = 5 WHERE document_id = {credit_note}",
    ],
)
def test_postgresql_refuses_raw_sql_changes_to_issued_documents(shop, statement):
    if connection.vendor != "postgresql":
        pytest.skip("the triggers are PostgreSQL's")
    invoice = issued_invoice(shop)
    credit_note = services.issue_credit_note(services.create_credit_note(invoice, reason="Erreur de prix"))
    assert Installment.objects.filter(invoice=invoice).exists() and invoice.orders.exists()
    with pytest.raises(IntegrityError, match="émis"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(invoice=invoice.pk, credit_note=credit_note.pk))
    assert InvoiceLine.objects.filter(document=invoice).count() == 1


@pytest.mark.django_db
def test_a_draft_still_changes_freely(shop):
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 2}])
    )
    services.ship_delivery_note(services.create_delivery_note(order))
    draft = services.invoice_order(order)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE sales_invoice SET note = 'Livré au fournil' WHERE id = %s", [draft.pk])
    services.delete_draft_invoice(draft)
    assert not Invoice.objects.filter(pk=draft.pk).exists()


def tamper(sql, *params):
    """Change a row behind the application's back: the triggers have to be switched off first,
    as an intruder with the database owner's rights would."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


@pytest.mark.django_db
def test_verify_chain_reports_the_first_broken_link(shop, capsys):
    if connection.vendor != "postgresql":
        pytest.skip("tampering needs to switch PostgreSQL's triggers off")
    invoices = [issued_invoice(shop, quantity=n) for n in (1, 2, 3)]
    credit_note = services.issue_credit_note(services.create_credit_note(invoices[0], reason="Retour"))
    assert [i.chain_position for i in invoices] + [credit_note.chain_position] == [1, 2, 3, 4]
    assert invoices[1].previous_hash == invoices[0].content_hash
    call_command("verify_chain")
    assert "4 document(s)" in capsys.readouterr().out

    tamper("UPDATE sales_invoiceline SET unit_price = unit_price / 2 WHERE document_id = %s", invoices[1].pk)
    with pytest.raises(SystemExit) as exit_status:
        call_command("verify_chain")
    assert exit_status.value.code == 1
    output = capsys.readouterr().out
    assert f"position 2 ({invoices[1].number})" in output and "modifié" in output
    assert chain.verify()[1].position == 2


@pytest.mark.django_db
def test_verify_chain_reports_a_deleted_document(shop):
    if connection.vendor != "postgresql":
        pytest.skip("tampering needs to switch PostgreSQL's triggers off")
    invoices = [issued_invoice(shop, quantity=n) for n in (1, 2)]
    last = services.issue_credit_note(services.create_credit_note(invoices[1], reason="Retour"))
    tamper("DELETE FROM sales_creditnoteline WHERE document_id = %s", last.pk)
    tamper("DELETE FROM sales_allocation WHERE credit_note_id = %s", last.pk)
    tamper("DELETE FROM sales_creditnote WHERE id = %s", last.pk)
    tamper("UPDATE sales_invoice SET chain_position = 9 WHERE id = %s", invoices[1].pk)  # and hide a gap
    checked, broken = chain.verify()
    assert (checked, broken.position) == (1, 2) and "supprimé" in broken.reason
    assert not CreditNote.objects.exists()
