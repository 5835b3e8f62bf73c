from django.db import migrations

from lmb.migration_operations import frozen_unless_draft

INVOICE = "Une facture émise ne se modifie pas et ne se supprime pas : corrigez-la par un avoir"
CREDIT_NOTE = "Un avoir émis ne se modifie pas et ne se supprime pas"


class Migration(migrations.Migration):
    """What the models refuse for issued invoices and credit notes, PostgreSQL refuses too, for
    any statement: the documents, their lines, their links and their schedule (NUM-03)."""

    dependencies = [("sales", "0002_roles_mentions_channels")]

    operations = [
        frozen_unless_draft("sales_invoice", INVOICE),
        frozen_unless_draft("sales_invoiceline", INVOICE, parent=("sales_invoice", "document_id")),
        frozen_unless_draft("sales_installment", INVOICE, parent=("sales_invoice", "invoice_id")),
        frozen_unless_draft("sales_invoice_orders", INVOICE, parent=("sales_invoice", "invoice_id")),
        frozen_unless_draft("sales_invoice_deducted_deposits", INVOICE, parent=("sales_invoice", "from_invoice_id")),
        frozen_unless_draft("sales_creditnote", CREDIT_NOTE),
        frozen_unless_draft("sales_creditnoteline", CREDIT_NOTE, parent=("sales_creditnote", "document_id")),
    ]
