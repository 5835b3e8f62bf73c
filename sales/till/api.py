"""REST API of the till (issue #20), so that a tablet front can drive it: registers, cash
sessions (open with the float, close with the drawer counted, cash movements, the session's
figures), sales and returns rung up in a session, vouchers sold in a session, tickets (reprint →
« DUPLICATA n° N », receipt links), and the sealed closures and event log, read only.

Every write calls the till's services or ``sales.services.checkout_at_counter`` (the one write
path of a counter sale); a refused transition answers 409 (a session closed twice), bad input
400 naming the field, in French. The sales staff role sells, returns, moves cash and closes its
sessions; only administrators set registers up; accountants read. POSTs creating money or
documents accept an ``Idempotency-Key`` (a replay answers the stored answer, creates nothing)."""

from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from lmb.api import ServiceViewSet, idempotent

from .. import services
from ..api import INVOICES, validated
from ..serializers import InvoiceSerializer
from . import queries
from . import services as till_services
from .models import Closure, Register, Ticket, TillEvent, TillSession
from .serializers import (
    CashMovementSerializer,
    CloseSessionSerializer,
    ClosureSerializer,
    NewCashMovementSerializer,
    NewReturnSerializer,
    NewSaleSerializer,
    NewVoucherSaleSerializer,
    OpenSessionSerializer,
    ReceiptQuerySerializer,
    RegisterSerializer,
    ReprintSerializer,
    SaleAnswerSerializer,
    SessionFiguresSerializer,
    TicketSerializer,
    TillEventSerializer,
    TillSessionSerializer,
)

TICKETS = Ticket.objects.select_related("invoice", "credit_note", "payment__voucher").order_by("-created_at", "-pk")
SELLER = ["sales.add_ticket"]


class RegisterViewSet(ServiceViewSet):
    """Registers (caisses): read by the till's users; created and changed by administrators."""

    queryset = Register.objects.order_by("code", "pk")
    serializer_class = RegisterSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["channel", "warehouse", "is_active"]
    search_fields = ["code", "name"]
    create_service = till_services.create_register
    update_service = till_services.update_register


@extend_schema_view(create=extend_schema(request=OpenSessionSerializer, responses={201: TillSessionSerializer}))
class TillSessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cash sessions. ``POST /till/sessions/`` opens one (the register, the float counted)."""

    queryset = TillSession.objects.order_by("-opened_at", "-pk")
    serializer_class = TillSessionSerializer
    filterset_fields = ["register", "status", "opened_by"]
    action_permissions = {
        "close": ["sales.change_tillsession"],
        "cash_movements": ["sales.add_cashmovement"],
        "sales": SELLER,
        "returns": SELLER,
        "vouchers": [*SELLER, "sales.add_voucher"],
    }

    def session_answer(self, session, status_code=status.HTTP_200_OK):
        return Response(TillSessionSerializer(self.queryset.get(pk=session.pk)).data, status=status_code)

    @idempotent
    def create(self, request, *args, **kwargs):
        """Open a session: one open session per register (409 otherwise), a float ≥ 0."""
        data = validated(OpenSessionSerializer, request)
        session = till_services.open_session(register=data["register"], user=request.user, opening_float=data["opening_float"])
        return self.session_answer(session, status.HTTP_201_CREATED)

    @extend_schema(request=CloseSessionSerializer, responses=TillSessionSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the session with the drawer counted by denomination; a difference with the
        expected cash needs a reason (400); closing it twice answers 409."""
        data = validated(CloseSessionSerializer, request)
        session = till_services.close_session(self.get_object(), user=request.user, **data)
        return self.session_answer(session)

    @extend_schema(request=NewCashMovementSerializer, responses={201: CashMovementSerializer})
    @action(detail=True, methods=["post"], url_path="cash-movements")
    @idempotent
    def cash_movements(self, request, pk=None):
        """Cash withdrawn, deposited at the bank, spent (with a reason) or put into the drawer."""
        data = validated(NewCashMovementSerializer, request)
        movement = till_services.record_cash_movement(session=self.get_object(), user=request.user, **data)
        return Response(CashMovementSerializer(movement).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=SessionFiguresSerializer)
    @action(detail=True, methods=["get"])
    def figures(self, request, pk=None):
        """The session's own figures: sales, refunds, cash movements, expected cash."""
        return Response(SessionFiguresSerializer(queries.session_figures(self.get_object())).data)

    @extend_schema(request=NewSaleSerializer, responses={201: SaleAnswerSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def sales(self, request, pk=None):
        """A sale rung up in this session: the lines scanned (the same article twice makes one
        line of quantity 2), paid by the tenders (cash beyond what is due is change). Answers the
        ticket, the issued invoice and the change; nothing is kept when it is refused."""
        data = validated(NewSaleSerializer, request)
        sale = ring_up(self.get_object(), user=request.user, **data)
        body = {
            "ticket": TicketSerializer(TICKETS.get(pk=sale.ticket.pk)).data,
            "invoice": InvoiceSerializer(INVOICES.get(pk=sale.invoice.pk)).data,
            "change": format(sale.change, "f"),
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=NewReturnSerializer, responses={201: TicketSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def returns(self, request, pk=None):
        """Goods brought back against a sale ticket: refunded (cash, card, cheque) or turned into
        a voucher; never more than sold (400)."""
        data = validated(NewReturnSerializer, request)
        ticket = till_services.return_at_counter(session=self.get_object(), user=request.user, **data)
        return Response(TicketSerializer(TICKETS.get(pk=ticket.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NewVoucherSaleSerializer, responses={201: TicketSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def vouchers(self, request, pk=None):
        """A voucher (bon d'achat) sold in this session (``sell_voucher_at_till``): paid in cash,
        by card or cheque, no VAT (VOU-03); answers its ticket, with the voucher's code and
        validity. The session's expected cash counts it; the Z shows it apart from the sales."""
        data = validated(NewVoucherSaleSerializer, request)
        ticket = till_services.sell_voucher_at_till(session=self.get_object(), user=request.user, **data)
        return Response(TicketSerializer(TICKETS.get(pk=ticket.pk)).data, status=status.HTTP_201_CREATED)


@transaction.atomic
def ring_up(session, *, user, lines, tenders, customer=None, discount_percent=None, confirm_excess=False):
    """A ticket started in the session (``start_sale``), its lines added as scanned
    (``add_line``), the ticket's discount set, then rung up by ``checkout_at_counter``; all in one
    transaction, so that a refused payment leaves no draft behind."""
    order = till_services.start_sale(session=session, user=user, customer=customer)
    for line in lines:
        services.add_line(order, **{name: value for name, value in line.items() if value is not None})
    if discount_percent:
        order = services.update_draft(order, user=user, discount_percent=discount_percent)
    return services.checkout_at_counter(
        order, tenders=[dict(tender) for tender in tenders], user=user, confirm_excess=confirm_excess, session=session
    )


class FileQueryNegotiation(DefaultContentNegotiation):
    """For an action whose ``?format=`` names the file it answers (not one of DRF's renderers):
    its errors answer JSON whatever ``format`` says, the file itself is the action's own answer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


RECEIPT_FILE = "Le ticket : PDF (format=pdf), texte UTF-8 (format=txt) ou octets ESC/POS (format=escpos)."
RECEIPT_ANSWERS = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description=RECEIPT_FILE),
    (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description=RECEIPT_FILE),
    (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description=RECEIPT_FILE),
}


class TicketViewSet(viewsets.ReadOnlyModelViewSet):
    """Sale, return and voucher sale tickets, with the links of their printable receipt (80/58 mm),
    which the ``receipt`` action serves to a client with a token."""

    queryset = TICKETS
    serializer_class = TicketSerializer
    filterset_fields = ["session", "kind", "user", "invoice", "credit_note"]
    action_permissions = {"reprint": SELLER}

    @extend_schema(request=None, responses=ReprintSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def reprint(self, request, pk=None):
        """A duplicate of the ticket: counted and logged; answers its number (« DUPLICATA n° N »)."""
        number = till_services.reprint_ticket(self.get_object(), user=request.user)
        ticket = TICKETS.get(pk=pk)
        return Response(ReprintSerializer({"ticket": ticket, "duplicate": number}).data)

    @extend_schema(parameters=[ReceiptQuerySerializer], responses=RECEIPT_ANSWERS)
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer], content_negotiation_class=FileQueryNegotiation)
    def receipt(self, request, pk=None):
        """The ticket for the thermal roll: a PDF, UTF-8 text or ESC/POS bytes, 80 or 58 mm wide,
        with the change; ``duplicate=N`` prints the N-th duplicate once ``reprint`` counted it
        (400 otherwise). Reading it counts no reprint."""
        ticket = self.get_object()
        query = ReceiptQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        options = query.validated_data
        served = queries.ticket_receipt_file(
            ticket, width_mm=options["width"], output=options["format"], duplicate=options.get("duplicate")
        )
        response = HttpResponse(served.content, content_type=served.content_type)
        response["Content-Disposition"] = served.content_disposition
        return response


class ClosureViewSet(viewsets.ReadOnlyModelViewSet):
    """The sealed period closures (Z): read and printed again, never edited."""

    queryset = Closure.objects.order_by("-sequence")
    serializer_class = ClosureSerializer
    filterset_fields = {"register": ["exact"], "kind": ["exact"], "period_start": ["gte", "lte"]}


class TillEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The till's hash-chained journal of sensitive events, read only."""

    queryset = TillEvent.objects.order_by("-sequence")
    serializer_class = TillEventSerializer
    filterset_fields = ["register", "session", "user", "kind"]
