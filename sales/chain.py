"""The hash chain of issued invoices and credit notes (inalterability, fr-rules NUM-03, POS-02).

Each issued document stores the SHA-256 of its canonical content (what it says: number, dates,
customer, lines, VAT breakdown, totals, references) together with the previous document's hash.
Altering any issued document, or removing one, breaks the chain from there: ``verify_chain``
walks it and names the first broken link.
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import Max

from lmb import money
from lmb.services import next_value

from .models import CreditNote, Invoice

CHAIN_SEQUENCE = "document_chain"


def _amount(value):
    return str(money.amount(value))


def canonical_content(document, lines=None) -> dict:
    """What the document says, in a stable form (fixed decimal places, sorted keys). ``lines``:
    the document's lines when the caller holds them, else read through ``document.lines``."""
    is_credit = isinstance(document, CreditNote)
    lines = [
        {
            "position": line.position,
            "kind": line.kind,
            "product": line.product_id,
            "description": line.description,
            "quantity": str(money.quantity(line.quantity)),
            "unit": line.unit,
            "unit_price": str(money.unit_price(line.unit_price)),
            "discount": str(money.round_to(line.discount_percent, 2)),
            "vat_category": line.vat_category,
            "vat_rate": str(money.round_to(line.vat_rate, 3)),
            "net": _amount(line.net_amount),
            "gross": _amount(line.gross_amount),
        }
        for line in sorted(document.lines.all() if lines is None else lines, key=lambda line: (line.position, line.pk))
    ]
    content = {
        "type": "credit_note" if is_credit else document.kind,
        "number": document.number,
        "date": (document.credit_date if is_credit else document.invoice_date).isoformat(),
        "customer": document.customer_id,
        "customer_name": document.customer_name,
        "customer_siren": document.customer_siren,
        "customer_vat_number": document.customer_vat_number,
        "billing_address": document.billing_address,
        "delivery_address": document.delivery_address,
        "vat_treatment": document.vat_treatment,
        "currency": document.currency,
        "exchange_rate": str(money.round_to(document.exchange_rate, 6)) if document.exchange_rate else "",
        "prices_include_tax": document.prices_include_tax,
        "lines": lines,
        "vat_breakdown": document.vat_breakdown,
        "lines_total": _amount(document.lines_total),
        "allowance_total": _amount(document.allowance_total),
        "total_excl_tax": _amount(document.total_excl_tax),
        "total_vat": _amount(document.total_vat),
        "total_incl_tax": _amount(document.total_incl_tax),
    }
    if is_credit:
        content["invoice"] = document.invoice.number
    else:
        content["due_date"] = document.due_date.isoformat() if document.due_date else ""
        content["deposits_total"] = _amount(document.deposits_total)
        content["amount_due"] = _amount(document.amount_due)
    return content


def content_hash(document, previous_hash: str, lines=None) -> str:
    content = canonical_content(document, lines)
    payload = json.dumps({"previous": previous_hash, "content": content}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


# The content hash of the document at a chain position, invoice or credit note (NULL before the first).
HASH_AT_SQL = (
    f"SELECT content_hash FROM {Invoice._meta.db_table} WHERE chain_position = %s "
    f"UNION ALL SELECT content_hash FROM {CreditNote._meta.db_table} WHERE chain_position = %s"
)


def _hash_at(position) -> str:
    """Read under the chain's lock by every issue: one plain statement (no ORM compilation)."""
    with connection.cursor() as cursor:
        cursor.execute(HASH_AT_SQL, [position, position])
        row = cursor.fetchone()
    return row[0] if row else ""


def link(document, lines=None):
    """Give an issuing document its place in the chain and its hash. Runs in the issuing
    transaction: the chain's sequence row stays locked until it commits, so positions follow
    the order of issue, without gaps. ``lines``: the document's lines, when the caller holds them."""
    position = next_value(CHAIN_SEQUENCE)
    link_at(document, position, _hash_at(position - 1) if position > 1 else "", lines)


def link_at(document, position: int, previous_hash: str, lines=None):
    """``link`` for a caller that took the chain position (``next_values``) and read the
    previous document's hash itself, after the lock was granted."""
    document.chain_position = position
    document.previous_hash = previous_hash
    document.content_hash = content_hash(document, previous_hash, lines)


@dataclass(frozen=True)
class BrokenLink:
    position: int
    document: str
    reason: str


def _chunk(start: int, end: int) -> dict:
    """Issued documents at chain positions start..end, with their lines."""
    invoices = Invoice.objects.filter(chain_position__range=(start, end)).prefetch_related("lines")
    credit_notes = (
        CreditNote.objects.filter(chain_position__range=(start, end)).select_related("invoice").prefetch_related("lines")
    )
    return {document.chain_position: document for document in [*invoices, *credit_notes]}


def verify(chunk_size: int = 500) -> tuple[int, BrokenLink | None]:
    """Walk the chain in order, a chunk at a time; returns (documents checked, first broken link or None)."""
    last = max(
        Invoice.objects.aggregate(last=Max("chain_position"))["last"] or 0,
        CreditNote.objects.aggregate(last=Max("chain_position"))["last"] or 0,
    )
    previous_hash = ""
    for start in range(1, last + 1, chunk_size):
        documents = _chunk(start, start + chunk_size - 1)
        for position in range(start, min(start + chunk_size, last + 1)):
            document = documents.get(position)
            if document is None:
                return position - 1, BrokenLink(position, "?", "document manquant : un document émis a été supprimé")
            if document.previous_hash != previous_hash:
                return position - 1, BrokenLink(position, document.number, "le lien vers le document précédent ne correspond pas")
            if content_hash(document, previous_hash) != document.content_hash:
                return position - 1, BrokenLink(position, document.number, "le contenu a été modifié après l'émission")
            previous_hash = document.content_hash
    return last, None
