"""Payments received and their allocation to invoices (lettrage): record a payment, see what it
settled, allocate what is left to another invoice of the same customer."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from lmb.access import permission_required
from lmb.errors import DomainError, InvalidInput
from lmb.forms import add_domain_error

from .. import queries, services
from ..forms import AllocationForm, NewPaymentForm
from ..models import Invoice


@permission_required("sales.add_payment")
def payment_create(request):
    form = NewPaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        customer, allocate = data.pop("customer"), data.pop("allocate")
        try:
            invoices = list(queries.unpaid_invoices(customer)) if allocate else []
            payment = services.record_payment(customer=customer, invoices=invoices, user=request.user, **data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Règlement enregistré."))
            return redirect("sales:payment_detail", pk=payment.pk)
    return render(request, "sales/payment_form.html", {"form": form}, status=400 if form.errors else 200)


def _payment_context(payment, form=None):
    return {
        "payment": payment,
        "allocations": payment.allocations.select_related("invoice").order_by("allocated_at"),
        "unallocated": payment.unallocated,
        "unpaid_invoices": queries.unpaid_invoices(payment.customer)[:20],
        "form": form or AllocationForm(),
    }


@permission_required("sales.view_payment")
def payment_detail(request, pk):
    payment = get_object_or_404(queries.payments(), pk=pk)
    return render(request, "sales/payment_detail.html", _payment_context(payment))


@permission_required("sales.add_allocation")
def payment_allocate(request, pk):
    """Allocate what is left of a payment to an invoice of its customer, typed by its number."""
    payment = get_object_or_404(queries.payments(), pk=pk)
    form = AllocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["invoice_number"].strip().upper()
        invoice = Invoice.objects.filter(number=number, customer=payment.customer).first()
        try:
            if invoice is None:
                raise InvalidInput({"invoice_number": [_("Aucune facture de ce client ne porte ce numéro.")]})
            services.allocate(invoice=invoice, payment=payment, amount=form.cleaned_data["amount"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Règlement affecté à la facture %(number)s.") % {"number": invoice.number})
            return redirect("sales:payment_detail", pk=pk)
    return render(request, "sales/payment_detail.html", _payment_context(payment, form), status=400 if form.errors else 200)
