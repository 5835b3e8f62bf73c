"""Trigram indexes for the list searches (number, customer, references): a search among tens of
thousands of documents stays an index scan."""

from django.db import migrations

from lmb.migration_operations import trigram_indexes

DOCUMENT_COLUMNS = ["number", "customer_name", "customer_reference"]


class Migration(migrations.Migration):
    dependencies = [("sales", "0004_daily_quote_expiry")]

    operations = [
        trigram_indexes("sales_quote", DOCUMENT_COLUMNS),
        trigram_indexes("sales_order", DOCUMENT_COLUMNS),
        trigram_indexes("sales_invoice", DOCUMENT_COLUMNS),
        trigram_indexes("sales_creditnote", [*DOCUMENT_COLUMNS, "reason"]),
        trigram_indexes("sales_deliverynote", ["number", "tracking_number"]),
        trigram_indexes("sales_payment", ["reference"]),
        trigram_indexes("sales_voucher", ["code"]),
    ]
