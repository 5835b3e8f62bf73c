"""Sales on the customer timeline (crm's provider registry, DESIGN §2): quotes sent, orders
confirmed, invoices and credit notes issued, payments received — numbered documents only, a
draft is not an exchange with the customer."""

import heapq
from itertools import islice

from django.urls import reverse
from django.utils.translation import gettext as _

from crm.timeline import TimelineItem
from lmb.formats import money_fr

from .models import CreditNote, Invoice, Order, Payment, Quote


def _quotes(customer, limit):
    for quote in Quote.objects.filter(customer=customer).exclude(number=None).order_by("-created_at")[:limit]:
        yield TimelineItem(
            occurred_at=quote.created_at,
            kind="quote",
            kind_label=_("Devis"),
            title=_("Devis %(number)s — %(total)s")
            % {"number": quote.number, "total": money_fr(quote.total_incl_tax, quote.currency)},
            text=quote.get_status_display(),
            url=quote.get_absolute_url(),
            source="sales",
        )


def _orders(customer, limit):
    for order in (
        Order.objects.filter(customer=customer).exclude(number=None).select_related("channel").order_by("-created_at")[:limit]
    ):
        yield TimelineItem(
            occurred_at=order.created_at,
            kind="order",
            kind_label=_("Commande"),
            title=_("Commande %(number)s — %(total)s")
            % {"number": order.number, "total": money_fr(order.total_incl_tax, order.currency)},
            text=f"{order.get_status_display()} · {order.channel.name}",
            url=order.get_absolute_url(),
            source="sales",
        )


def _invoices(customer, limit):
    issued = Invoice.objects.filter(customer=customer, status=Invoice.Status.ISSUED).order_by("-issued_at")[:limit]
    for invoice in issued:
        yield TimelineItem(
            occurred_at=invoice.issued_at,
            kind="invoice",
            kind_label=invoice.get_kind_display(),
            title=_("Facture %(number)s — %(total)s")
            % {"number": invoice.number, "total": money_fr(invoice.total_incl_tax, invoice.currency)},
            text=_("Échéance le %(day)s") % {"day": invoice.due_date.strftime("%d/%m/%Y")},
            url=invoice.get_absolute_url(),
            source="sales",
        )


def _credit_notes(customer, limit):
    issued = CreditNote.objects.filter(customer=customer, status=CreditNote.Status.ISSUED).order_by("-issued_at")[:limit]
    for note in issued:
        yield TimelineItem(
            occurred_at=note.issued_at,
            kind="credit_note",
            kind_label=_("Avoir"),
            title=_("Avoir %(number)s — %(total)s")
            % {"number": note.number, "total": money_fr(note.total_incl_tax, note.currency)},
            text=note.reason,
            url=note.get_absolute_url(),
            source="sales",
        )


def _payments(customer, limit):
    for payment in Payment.objects.filter(customer=customer).order_by("-created_at")[:limit]:
        yield TimelineItem(
            occurred_at=payment.created_at,
            kind="payment",
            kind_label=payment.get_purpose_display(),
            title=f"{payment.get_method_display()} — {money_fr(payment.amount, payment.currency)}",
            text=payment.reference,
            url=reverse("sales:payment_detail", args=[payment.pk]),
            source="sales",
        )


def sales_timeline(third_party, *, limit):
    """The customer's sales documents and payments, newest first (each stream is, merged)."""
    streams = [source(third_party, limit) for source in (_quotes, _orders, _invoices, _credit_notes, _payments)]
    merged = heapq.merge(*streams, key=lambda item: item.occurred_at, reverse=True)
    return list(islice(merged, limit))
