"""The till's sale screen (issue #20): the ticket a cashier rings up in an open session — scan box,
lines, discounts, customer, payment panel — then the ticket page (print, reprint « DUPLICATA n° N »,
A4 invoice, next sale) and returns at the counter against an earlier ticket.

Keyboard flow (counted in tests/e2e/test_till.py): scans are code + Enter in the scan box; Enter
on the empty box (or F8) opens the payment panel with the cash prefilled at the amount due and
selected; Enter validates. Typing a banknote (« 50 ») replaces the prefilled amount. On the ticket
page the « Nouvelle vente » button has the focus: Enter starts the next sale.

Every write goes through a service: ``start_sale``, ``documents.add_line`` (scan = quantity + 1),
``change_ticket_line``, ``set_ticket_discount``, ``change_ticket_customer``,
``remove_ticket_line``, ``checkout_at_counter`` (the one write path of a sale),
``reprint_ticket``, ``return_at_counter`` and ``sell_voucher_at_till`` (« Vendre un bon
d'achat », F4: a voucher sold is a ticket of the session)."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.forms import ThirdPartyChoiceField
from lmb.access import permission_required
from lmb.errors import DomainError, InvalidInput
from lmb.forms import Form, add_domain_error

from .. import receipts, services
from ..forms import LineForm
from ..models import CreditNote, OrderLine, Payment, PaymentMethod
from ..till import queries
from ..till import services as till_services
from ..till.models import Ticket, TillSession

SELL = "sales.add_order"
RETURN = "sales.add_creditnote"
VOUCHER = "sales.add_voucher"
MONEY = {"max_digits": 14, "decimal_places": 2, "required": False, "min_value": Decimal("0.01")}


class PaymentPanelForm(Form):
    """What the customer hands over, several tenders at once; cash beyond the due is change."""

    cash = forms.DecimalField(label=gettext_lazy("Espèces"), **MONEY)
    card = forms.DecimalField(label=gettext_lazy("Carte"), **MONEY)
    cheque = forms.DecimalField(label=gettext_lazy("Chèque"), **MONEY)
    voucher = forms.DecimalField(label=gettext_lazy("Bon d'achat"), **MONEY)
    voucher_code = forms.CharField(label=gettext_lazy("Code du bon d'achat"), max_length=20, required=False)
    confirm_excess = forms.BooleanField(
        label=gettext_lazy("Je confirme ce montant : la monnaie rendue dépasse 200 €"), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("cash", "card", "cheque", "voucher"):
            self.fields[name].widget.attrs.update({"data-tender": name, "class": "form-control form-control-lg num"})
        self.fields["cash"].widget.attrs["data-till-cash"] = ""
        self.fields["voucher_code"].widget.attrs["autocomplete"] = "off"

    def clean(self):
        cleaned = super().clean()
        for name in ("cash", "card", "cheque", "voucher"):
            value = cleaned.get(name)
            if value is not None and not value.is_finite():
                self.add_error(name, _("Saisissez un montant."))
        if cleaned.get("voucher") and not cleaned.get("voucher_code"):
            self.add_error("voucher_code", _("Scannez ou saisissez le code du bon d'achat."))
        return cleaned

    def tenders(self) -> list[dict]:
        """Card, cheque and voucher first, cash last: only cash goes beyond what is left to pay
        (``checkout_at_counter``), the change is given in cash."""
        data = self.cleaned_data
        tenders = [
            {"method": method, "amount": data[name]}
            for name, method in (("card", PaymentMethod.CARD), ("cheque", PaymentMethod.CHEQUE))
            if data.get(name)
        ]
        if data.get("voucher"):
            tenders.append({"method": PaymentMethod.VOUCHER, "amount": data["voucher"], "voucher_code": data["voucher_code"]})
        if data.get("cash"):
            tenders.append({"method": PaymentMethod.CASH, "amount": data["cash"]})
        return tenders


class TicketLineForm(Form):
    quantity = forms.DecimalField(label=gettext_lazy("Quantité"), max_digits=14, decimal_places=3, required=False)
    discount_percent = forms.DecimalField(
        label=gettext_lazy("Remise %"), min_value=0, max_value=100, max_digits=5, decimal_places=2, required=False
    )


class TicketDiscountForm(Form):
    discount_percent = forms.DecimalField(
        label=gettext_lazy("Remise sur le ticket %"), min_value=0, max_value=100, max_digits=5, decimal_places=2
    )


class CustomerForm(Form):
    customer = ThirdPartyChoiceField(label=gettext_lazy("Client (code)"), role="customer", required=False)


class FindTicketForm(Form):
    number = forms.CharField(label=gettext_lazy("N° du ticket ou de la facture"), max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].widget.attrs.update({"autofocus": True, "autocomplete": "off"})


class ReturnForm(Form):
    """The settlement of a return: refunded (cash, card, cheque) or turned into a voucher."""

    settle = forms.ChoiceField(
        label=gettext_lazy("Remboursement"),
        choices=[
            ("cash", gettext_lazy("Espèces")),
            ("card", gettext_lazy("Carte")),
            ("cheque", gettext_lazy("Chèque")),
            ("voucher", gettext_lazy("Bon d'achat")),
        ],
        initial="cash",
    )
    reason = forms.CharField(label=gettext_lazy("Motif"), max_length=200, required=False)


class VoucherSaleForm(Form):
    """A voucher sold at the till: its amount and how it is paid. The amount is read by the
    service (``sell_voucher_at_till``), whose refusals name the field in French."""

    amount = forms.CharField(label=gettext_lazy("Montant du bon d'achat"), max_length=60)
    method = forms.ChoiceField(
        label=gettext_lazy("Payé par"),
        choices=[
            (PaymentMethod.CASH.value, gettext_lazy("Espèces")),
            (PaymentMethod.CARD.value, gettext_lazy("Carte")),
            (PaymentMethod.CHEQUE.value, gettext_lazy("Chèque")),
        ],
        initial=PaymentMethod.CASH.value,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs.update(
            {"autofocus": True, "autocomplete": "off", "inputmode": "decimal", "class": "form-control-lg num"}
        )


# --- helpers -------------------------------------------------------------------------------------


def _session(pk) -> TillSession:
    return get_object_or_404(TillSession.objects.select_related("register__channel", "register__warehouse"), pk=pk)


def _sale_url(session, *, pay=False) -> str:
    url = reverse("sales:till_sale", args=[session.pk])
    return f"{url}?pay=1" if pay else url


def _error_messages(error: DomainError) -> list[str]:
    if isinstance(error, InvalidInput):
        return [message for field_messages in error.errors.values() for message in field_messages]
    return [error.message]


def _flash(request, error: DomainError):
    for message in _error_messages(error):
        messages.error(request, message)


def _ticket_context(request, session, order, **extra) -> dict:
    """The ticket block: its lines, totals and the payment panel (cash prefilled at the due)."""
    lines = list(order.lines.order_by("position", "pk")) if order is not None else []
    due = order.total_incl_tax if order is not None else Decimal("0")
    pay_open = bool(extra.pop("pay_open", False) or request.GET.get("pay")) and order is not None
    payment_form = extra.pop("payment_form", None) or PaymentPanelForm(initial={"cash": due} if due else {})
    if pay_open:
        payment_form.fields["cash"].widget.attrs["autofocus"] = True
    context = {
        "session": session,
        "order": order,
        "lines": lines,
        "due": due,
        "payment_form": payment_form,
        "pay_open": pay_open,
        "closed": session.status != TillSession.Status.OPEN,
        "customer_form": CustomerForm(initial={"customer": order.customer.code if order else ""}),
        "discount_form": TicketDiscountForm(initial={"discount_percent": order.discount_percent if order else 0}),
    }
    context.update(extra)
    return context


def _page(request, session, order, *, status=200, **extra):
    context = _ticket_context(request, session, order, **extra)
    context["tickets"] = queries.session_tickets(session).filter(user=request.user)[:5]
    return render(request, "sales/till_sale/page.html", context, status=status)


def _ticket_block(request, session, order, *, status=200, **extra):
    """htmx (the scan queue of lmb.js): the ticket block only; without script: the page."""
    if request.htmx:
        return render(request, "sales/till_sale/_ticket.html", _ticket_context(request, session, order, **extra), status=status)
    if status == 200:
        return redirect(_sale_url(session, pay=extra.get("pay_open", False)))
    return _page(request, session, order, status=status, **extra)


def _line_of(session, user, line_pk) -> OrderLine:
    order = queries.current_sale(session, user)
    if order is None:  # another cashier's ticket, or one already paid
        raise Http404
    return get_object_or_404(order.lines.select_related("document"), pk=line_pk, parent=None)


# --- the sale ------------------------------------------------------------------------------------


@permission_required(SELL)
def till_sale(request, pk):
    """The current ticket of this session and user (none until the first scan)."""
    session = _session(pk)
    order = queries.current_sale(session, request.user) if session.status == TillSession.Status.OPEN else None
    return _page(request, session, order, status=200 if session.status == TillSession.Status.OPEN else 409)


@require_POST
@permission_required(SELL)
def till_scan(request, pk):
    """Code + Enter adds the article (scanned again: quantity + 1; « 3*CODE »: + 3); Enter on the
    empty box opens the payment panel."""
    session = _session(pk)
    order = queries.current_sale(session, request.user)
    if not (request.POST.get("code") or "").strip() and not (request.POST.get("description") or "").strip():
        return _ticket_block(request, session, order, pay_open=order is not None)
    data = request.POST.copy()
    data["kind"] = OrderLine.Kind.PRODUCT  # the till scans articles (or types a free text)
    form = LineForm(data)
    if not form.is_valid():
        return _ticket_block(request, session, order, status=422, scan_errors=_form_errors(form))
    try:
        if order is None:
            order = till_services.start_sale(session=session, user=request.user)
        line = services.add_line(order, **form.service_fields())
    except DomainError as error:
        return _ticket_block(request, session, order, status=422, scan_errors=_error_messages(error))
    order.refresh_from_db()
    return _ticket_block(request, session, order, last_line=line.pk)


def _form_errors(form) -> list[str]:
    return [message for field_messages in form.errors.values() for message in field_messages]


@require_POST
@permission_required(SELL)
def till_line(request, pk, line_pk):
    """Change a line's quantity or discount, or remove it (logged: ``remove_ticket_line``)."""
    session = _session(pk)
    try:
        line = _line_of(session, request.user, line_pk)
        if request.POST.get("remove"):
            till_services.remove_ticket_line(line, session=session, user=request.user)
        else:
            form = TicketLineForm(request.POST)
            if not form.is_valid():
                for message in _form_errors(form):
                    messages.error(request, message)
                return redirect(_sale_url(session))
            till_services.change_ticket_line(line, session=session, user=request.user, **form.cleaned_data)
    except DomainError as error:
        _flash(request, error)
    return redirect(_sale_url(session))


@require_POST
@permission_required(SELL)
def till_discount(request, pk):
    """The discount on the whole ticket (within the register's limit)."""
    session = _session(pk)
    order = queries.current_sale(session, request.user)
    form = TicketDiscountForm(request.POST)
    if order is None:
        messages.error(request, _("Aucune vente en cours."))
    elif not form.is_valid():
        for message in _form_errors(form):
            messages.error(request, message)
    else:
        try:
            till_services.set_ticket_discount(order, session=session, user=request.user, **form.cleaned_data)
        except DomainError as error:
            _flash(request, error)
    return redirect(_sale_url(session))


@require_POST
@permission_required(SELL)
def till_customer(request, pk):
    """The customer of the ticket: searched by code (crm's suggestions), or empty = walk-in."""
    session = _session(pk)
    order = queries.current_sale(session, request.user)
    form = CustomerForm(request.POST)
    if not form.is_valid():
        return _page(request, session, order, status=400, customer_form=form)
    customer = form.cleaned_data["customer"] or session.register.channel.default_customer
    try:
        if order is None:
            till_services.start_sale(session=session, user=request.user, customer=customer)
        elif customer is not None and customer.pk != order.customer_id:
            till_services.change_ticket_customer(order, session=session, user=request.user, customer=customer)
    except DomainError as error:
        add_domain_error(form, error)
        return _page(request, session, order, status=400, customer_form=form)
    return redirect(_sale_url(session))


@require_POST
@permission_required(SELL)
def till_pay(request, pk):
    """Ring the ticket up (``checkout_at_counter`` in the session): the ticket page follows."""
    session = _session(pk)
    order = queries.current_sale(session, request.user)
    form = PaymentPanelForm(request.POST)
    if order is None:
        messages.error(request, _("Aucune vente en cours : scannez un article."))
        return redirect(_sale_url(session))
    if not form.is_valid():
        return _page(request, session, order, status=400, payment_form=form, pay_open=True)
    try:
        sale = services.checkout_at_counter(
            order,
            tenders=form.tenders(),
            user=request.user,
            session=session,
            confirm_excess=form.cleaned_data["confirm_excess"],
        )
    except DomainError as error:
        add_domain_error(form, error)
        return _page(request, session, order, status=400, payment_form=form, pay_open=True)
    return redirect("sales:till_ticket", pk=sale.ticket.pk)


# --- the ticket ----------------------------------------------------------------------------------


def _ticket(pk) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related(
            "session__register__channel", "invoice", "credit_note__invoice", "payment__voucher__customer", "user"
        ),
        pk=pk,
    )


@permission_required(SELL)
def till_ticket(request, pk):
    """After payment (or a return, or a voucher sold): print, reprint, A4 invoice, next sale."""
    ticket = _ticket(pk)
    vouchers, refunds = [], []
    if ticket.kind == Ticket.Kind.RETURN:
        vouchers = list(ticket.credit_note.vouchers.all())
        refunds = list(Payment.objects.filter(credit_note=ticket.credit_note, purpose=Payment.Purpose.REFUND))
    elif ticket.kind == Ticket.Kind.VOUCHER_SALE:
        vouchers = [ticket.payment.voucher]
    context = {
        "ticket": ticket,
        "document": ticket.document,
        "session": ticket.session,
        "vouchers": vouchers,
        "refunds": refunds,
    }
    return render(request, "sales/till_sale/ticket.html", context)


@permission_required(SELL)
def till_ticket_receipt(request, pk):
    """The ticket for the thermal roll (``?width=80|58&format=pdf|txt|escpos``) with the change
    recorded on it; ``?duplicate=N`` prints the N-th duplicate, once ``reprint_ticket`` counted it."""
    ticket = _ticket(pk)
    width, output = request.GET.get("width", "80"), request.GET.get("format", "pdf")
    if width not in ("80", "58") or output not in receipts.OUTPUTS:
        return HttpResponseBadRequest(
            _("Largeur 80 ou 58 (mm), format pdf, txt ou escpos."), content_type="text/plain; charset=utf-8"
        )
    duplicate = request.GET.get("duplicate")
    try:
        duplicate = int(duplicate) if duplicate is not None else None
    except ValueError:
        duplicate = 0  # not a number: refused below like a duplicate never asked for
    try:
        served = queries.ticket_receipt_file(ticket, width_mm=int(width), output=output, duplicate=duplicate)
    except InvalidInput as error:
        return HttpResponseBadRequest(" ".join(_error_messages(error)), content_type="text/plain; charset=utf-8")
    response = HttpResponse(served.content, content_type=served.content_type)
    response["Content-Disposition"] = served.content_disposition
    return response


@require_POST
@permission_required(SELL)
def till_ticket_reprint(request, pk):
    """« Réimprimer »: the duplicate is counted and logged (``reprint_ticket``), then printed."""
    ticket = _ticket(pk)
    width = request.POST.get("width") if request.POST.get("width") in ("80", "58") else "80"
    number = till_services.reprint_ticket(ticket, user=request.user)
    url = reverse("sales:till_ticket_receipt", args=[ticket.pk])
    return redirect(f"{url}?width={width}&duplicate={number}")


# --- vouchers sold ---------------------------------------------------------------------------------


@permission_required(SELL, VOUCHER)
def till_voucher_sale(request, pk):
    """« Vendre un bon d'achat » (F4 on the sale screen): the amount and the tender, then
    ``sell_voucher_at_till`` — a ticket of the session — and its ticket page (print, reprint)."""
    session = _session(pk)
    closed = session.status != TillSession.Status.OPEN
    form = VoucherSaleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = till_services.sell_voucher_at_till(session=session, user=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect("sales:till_ticket", pk=ticket.pk)
    status = 400 if form.errors else 409 if closed else 200
    return render(request, "sales/till_sale/voucher.html", {"session": session, "form": form, "closed": closed}, status=status)


# --- returns -------------------------------------------------------------------------------------


def _find_sale_ticket(number: str):
    """The sale ticket of an invoice number (typed or scanned from the ticket or the A4 invoice)."""
    return (
        Ticket.objects.filter(kind=Ticket.Kind.SALE, invoice__number__iexact=number.strip())
        .select_related("invoice__customer", "session__register")
        .first()
    )


@permission_required(SELL, RETURN)
def till_return(request, pk):
    """Find an earlier ticket, pick the lines and quantities coming back, refund or voucher."""
    session = _session(pk)
    find_form = FindTicketForm(request.GET or None)
    ticket = None
    if find_form.is_bound and find_form.is_valid():
        ticket = _find_sale_ticket(find_form.cleaned_data["number"])
        if ticket is None:
            find_form.add_error("number", _("Aucun ticket de vente ne porte le n° « %(number)s ».") % find_form.cleaned_data)
    if request.method == "POST":
        return _return_post(request, session)
    return _return_page(request, session, find_form, ticket, ReturnForm())


def _return_page(request, session, find_form, ticket, form, *, status=200, quantities=None):
    lines = queries.returnable_lines(ticket.invoice) if ticket is not None else []
    for line in lines:
        line.wanted = (quantities or {}).get(str(line.pk), "")
    first = next((line for line in lines if line.returnable), None)
    if first is not None:  # the ticket found: the keyboard goes on to its first line
        find_form.fields["number"].widget.attrs.pop("autofocus", None)
        first.autofocus = True
    context = {"session": session, "find_form": find_form, "ticket": ticket, "lines": lines, "form": form}
    return render(request, "sales/till_sale/return.html", context, status=status)


def _wanted_lines(post) -> tuple[list, dict]:
    """[{invoice_line, quantity}] from the ``qty-<line pk>`` boxes that hold something."""
    wanted, typed = [], {}
    for name, value in post.items():
        if not name.startswith("qty-") or not value.strip():
            continue
        typed[name[4:]] = value
        try:
            quantity = Decimal(value.strip().replace(",", ".").replace(" ", ""))
        except ArithmeticError:
            raise InvalidInput({"lines": [_("Quantité rapportée illisible : « %(value)s ».") % {"value": value[:20]}]}) from None
        if not quantity.is_finite() or quantity <= 0 or quantity >= 10**11:
            raise InvalidInput({"lines": [_("Une quantité rapportée est un nombre positif.")]})
        wanted.append({"invoice_line": name[4:], "quantity": quantity})
    return wanted, typed


def _return_post(request, session):
    try:
        ticket_pk = int(request.POST.get("ticket") or 0)
    except ValueError:
        raise Http404 from None
    ticket = get_object_or_404(Ticket.objects.select_related("invoice"), pk=ticket_pk, kind="sale")
    form = ReturnForm(request.POST)
    find_form = FindTicketForm(initial={"number": ticket.invoice.number})
    typed = {}
    try:
        wanted, typed = _wanted_lines(request.POST)
        if not form.is_valid():
            return _return_page(request, session, find_form, ticket, form, status=400, quantities=typed)
        settle = form.cleaned_data["settle"]
        returned = till_services.return_at_counter(
            session=session,
            user=request.user,
            ticket=ticket,
            lines=wanted,
            settlement=CreditNote.Settlement.VOUCHER if settle == "voucher" else CreditNote.Settlement.REFUND,
            refund_method=settle if settle != "voucher" else PaymentMethod.CASH,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        add_domain_error(form, error)
        return _return_page(request, session, find_form, ticket, form, status=400, quantities=typed)
    return redirect("sales:till_ticket", pk=returned.pk)


__all__ = [
    "till_customer",
    "till_discount",
    "till_line",
    "till_pay",
    "till_return",
    "till_sale",
    "till_scan",
    "till_ticket",
    "till_ticket_receipt",
    "till_ticket_reprint",
    "till_voucher_sale",
]
