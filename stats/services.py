"""Write paths of the stats app: its own read model only (it never writes another app's tables).

- ``record_invoice`` / ``record_credit_note`` / ``record_order`` / ``forget_order``: the business
  events' subscribers (``StatsConfig.ready``), one document at a time, after its commit;
- ``refresh_facts``: every document that has no facts yet gets them — idempotent and safe to run
  concurrently (the unique source line of each fact, inserts that ignore a conflict), run by
  Celery beat every few minutes, so a fact an event missed (a killed worker, purchasing, which
  publishes no event) is there minutes later;
- ``rebuild_facts``: empty the fact tables and build them again (``manage.py rebuild_stats``).
"""

import logging
from dataclasses import dataclass

from django.db import connection, router, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from lmb.errors import InvalidInput
from sales.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, Order, OrderLine

from . import facts
from .models import OrderFact, PurchaseFact, SaleFact

logger = logging.getLogger(__name__)

BATCH = 500


@dataclass
class RefreshReport:
    sales: int = 0
    orders: int = 0
    purchases: int = 0
    orders_removed: int = 0

    def __str__(self):
        return (
            f"{self.sales} lignes vendues, {self.orders} lignes commandées, {self.purchases} lignes achetées ajoutées ; "
            f"{self.orders_removed} lignes de commandes annulées retirées"
        )


def _save(model, rows) -> int:
    if not rows:
        return 0
    # Named: bulk_create reads the database's features before it knows it writes, and the router
    # would send that to the read replica.
    model.objects.using(router.db_for_write(model)).bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def record_invoice(*, invoice_id: int, **_payload) -> int:
    """The facts of one issued invoice (INVOICE_ISSUED); a deposit invoice has none."""
    invoice = facts.invoices_queryset().filter(pk=invoice_id).first()
    return _save(SaleFact, facts.invoice_facts(invoice, facts.Context())) if invoice else 0


def record_credit_note(*, credit_note_id: int, **_payload) -> int:
    credit_note = facts.credit_notes_queryset().filter(pk=credit_note_id).first()
    return _save(SaleFact, facts.credit_note_facts(credit_note, facts.Context())) if credit_note else 0


def record_order(*, order_id: int, **_payload) -> int:
    order = facts.orders_queryset().filter(pk=order_id).first()
    return _save(OrderFact, facts.order_facts(order, facts.Context())) if order else 0


def forget_order(*, order_id: int, **_payload) -> int:
    """A cancelled order is no longer an order taken."""
    return OrderFact.objects.filter(document_id=order_id).delete()[0]


def _sales_lines(model):
    return Exists(model.objects.filter(facts.SALE_LINES, document=OuterRef("pk")))


def _pending_invoices():
    with_facts = SaleFact.objects.filter(source=SaleFact.Source.INVOICE, document_id=OuterRef("pk"))
    return (
        facts.invoices_queryset()
        .filter(status=Invoice.Status.ISSUED, kind=Invoice.Kind.INVOICE)
        .filter(_sales_lines(InvoiceLine))
        .filter(~Exists(with_facts))
    )


def _pending_credit_notes():
    with_facts = SaleFact.objects.filter(source=SaleFact.Source.CREDIT_NOTE, document_id=OuterRef("pk"))
    return (
        facts.credit_notes_queryset()
        .filter(status=CreditNote.Status.ISSUED, invoice__kind=Invoice.Kind.INVOICE)
        .filter(_sales_lines(CreditNoteLine))
        .filter(~Exists(with_facts))
    )


def _pending_orders():
    with_facts = OrderFact.objects.filter(document_id=OuterRef("pk"))
    return (
        facts.orders_queryset()
        .exclude(status__in=(Order.Status.DRAFT, Order.Status.CANCELLED))
        .filter(order_date__isnull=False)
        .filter(_sales_lines(OrderLine))
        .filter(~Exists(with_facts))
    )


def _in_batches(queryset, build, model) -> int:
    """Build and save the facts of ``queryset``'s documents, BATCH at a time, by increasing pk
    (each batch its own transaction: a run stopped half-way keeps what it did)."""
    done, last = 0, 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return done
        context = facts.Context()
        rows = [fact for document in batch for fact in build(document, context)]
        done += _save(model, rows)  # one statement per batch (bulk_create's batch_size)
        last = batch[-1].pk


def _lines_in_batches(queryset, build) -> int:
    done, last = 0, 0
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk")[: BATCH * 10])
        if not batch:
            return done
        done += _save(PurchaseFact, build(batch))
        last = batch[-1].pk


def refresh_facts() -> RefreshReport:
    """Add the facts of every issued invoice and credit note, confirmed order, recorded supplier
    invoice and validated reception that has none; remove those of cancelled orders."""
    report = RefreshReport()
    report.sales += _in_batches(_pending_invoices(), facts.invoice_facts, SaleFact)
    report.sales += _in_batches(_pending_credit_notes(), facts.credit_note_facts, SaleFact)
    report.orders += _in_batches(_pending_orders(), facts.order_facts, OrderFact)
    cancelled = Order.objects.filter(status=Order.Status.CANCELLED).values("pk")
    report.orders_removed = OrderFact.objects.filter(document_id__in=cancelled).delete()[0]
    invoiced = PurchaseFact.objects.filter(source=PurchaseFact.Source.SUPPLIER_INVOICE, source_line_id=OuterRef("pk"))
    report.purchases += _lines_in_batches(facts.supplier_invoice_lines().filter(~Exists(invoiced)), facts.supplier_invoice_facts)
    received = PurchaseFact.objects.filter(source=PurchaseFact.Source.RECEPTION, source_line_id=OuterRef("pk"))
    report.purchases += _lines_in_batches(facts.reception_lines().filter(~Exists(received)), facts.reception_facts)
    return report


def rebuild_facts() -> RefreshReport:
    """Empty the three fact tables and build them again from the documents: on PostgreSQL the
    sales facts in one ``INSERT … SELECT`` per document type (``stats.rebuild_sql``), the rest
    (and everything on SQLite) by ``refresh_facts``."""
    from . import rebuild_sql

    sales = 0
    with transaction.atomic():
        for model in (SaleFact, OrderFact, PurchaseFact):
            model.objects.all()._raw_delete(router.db_for_write(model))  # never the read replica
        if connection.vendor == "postgresql":
            sales = rebuild_sql.insert_sale_facts()
    report = refresh_facts()
    report.sales += sales
    return report


# --- Saved analyses ---------------------------------------------------------------------------


def save_analysis(*, owner, name: str, spec: dict, shared: bool = False):
    """Keep an analysis under a name (unique per owner); the spec is checked first."""
    from .models import SavedAnalysis
    from .spec import parse

    name = (name or "").strip()
    if not name:
        raise InvalidInput({"name": [_("Donnez un nom à l'analyse.")]})
    if len(name) > 100:
        raise InvalidInput({"name": [_("Le nom ne doit pas dépasser 100 caractères.")]})
    if not isinstance(spec, dict):
        raise InvalidInput({"spec": [_("Les paramètres de l'analyse sont un objet (mode, measures, levels, start, end…).")]})
    try:
        parsed = parse(spec)
    except InvalidInput as exc:
        raise InvalidInput({f"spec.{field}": messages for field, messages in exc.errors.items()}) from None
    if SavedAnalysis.objects.filter(owner=owner, name=name).exists():
        raise InvalidInput({"name": [_("Vous avez déjà une analyse de ce nom.")]})
    return SavedAnalysis.objects.create(owner=owner, name=name, spec=parsed.as_dict(), shared=bool(shared))


def delete_analysis(saved, *, user) -> None:
    """Only its author deletes an analysis (a shared one too)."""
    if saved.owner_id != user.pk:
        raise InvalidInput({"owner": [_("Seul l'auteur d'une analyse peut la supprimer.")]})
    saved.delete()
