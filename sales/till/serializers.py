"""Serializers of the till's API (issue #20): registers, sessions, tickets, cash movements, the
event log and the closures as stored, and the inputs of the till's actions (open, close with the
drawer counted, a sale, a return, a cash movement). They check types and bounds only; the rules
are the services' (``sales.till.services``, ``sales.services.checkout_at_counter``)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Product
from crm.models import ThirdParty
from lmb.api import ModelSerializer, Serializer

from ..models import AMOUNT, QUANTITY, CreditNote, Invoice, PaymentMethod
from ..serializers import InvoiceSerializer, payment_method_field
from .models import CashMovement, Closure, Register, Ticket, TillEvent, TillSession

PERCENT = {"max_digits": 5, "decimal_places": 2, "min_value": 0, "max_value": 100}
RECEIPT_WIDTHS = ("80", "58")
#: the files of a receipt (``sales.receipts.OUTPUTS``), as the API's ``receipt`` action names them
RECEIPT_FORMATS = {
    "pdf": "PDF large comme le rouleau",
    "txt": "texte UTF-8 en colonnes du rouleau",
    "escpos": "octets d'une imprimante ESC/POS (page de code CP858, coupe à la fin)",
}
#: a return at the counter is refunded or turned into a voucher (``services.return_at_counter``)
RETURN_SETTLEMENTS = [(CreditNote.Settlement.REFUND.value, "Remboursé"), (CreditNote.Settlement.VOUCHER.value, "Bon d'achat")]
REFUND_METHODS = [(value, label) for value, label in PaymentMethod.choices if value in ("cash", "card", "cheque")]
#: a voucher sold at the till is paid in cash, by card or cheque (``services.sell_voucher_at_till``)
VOUCHER_SALE_METHODS = REFUND_METHODS


class RegisterSerializer(ModelSerializer):
    class Meta:
        model = Register
        fields = ["id", "code", "name", "channel", "warehouse", "max_discount_percent", "is_active"]


class TillSessionSerializer(ModelSerializer):
    class Meta:
        model = TillSession
        fields = [
            "id",
            "register",
            "status",
            "opened_by",
            "opened_at",
            "opening_float",
            "closed_by",
            "closed_at",
            "counted_cash",
            "counted_total",
            "expected_cash",
            "difference",
            "difference_reason",
        ]
        read_only_fields = fields


class OpenSessionSerializer(Serializer):
    register = serializers.PrimaryKeyRelatedField(queryset=Register.objects.all())
    opening_float = serializers.DecimalField(**AMOUNT, help_text="Fond de caisse compté (≥ 0).")


class CloseSessionSerializer(Serializer):
    counted_cash = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=100_000),
        help_text='Nombre de billets et de pièces par valeur en euros : {"50.00": 2, "0.20": 3}.',
    )
    difference_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class CashMovementSerializer(ModelSerializer):
    class Meta:
        model = CashMovement
        fields = ["id", "session", "user", "kind", "amount", "reason", "created_at"]
        read_only_fields = fields


class NewCashMovementSerializer(Serializer):
    kind = serializers.ChoiceField(choices=CashMovement.Kind.choices)
    amount = serializers.DecimalField(**AMOUNT)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class SessionFiguresSerializer(Serializer):
    """``queries.session_figures``: the till page's figures, from this session only."""

    opening_float = serializers.DecimalField(**AMOUNT)
    sales_count = serializers.IntegerField()
    sales_total = serializers.DecimalField(**AMOUNT)
    returns_count = serializers.IntegerField()
    returns_total = serializers.DecimalField(**AMOUNT)
    tenders = serializers.DictField(child=serializers.DecimalField(**AMOUNT), help_text="Encaissé par moyen de paiement.")
    refunds = serializers.DictField(child=serializers.DecimalField(**AMOUNT), help_text="Remboursé par moyen de paiement.")
    vouchers_issued = serializers.DecimalField(**AMOUNT)
    vouchers_sold_count = serializers.IntegerField(help_text="Bons d'achat vendus dans la session.")
    vouchers_sold_total = serializers.DecimalField(**AMOUNT, help_text="Hors chiffre d'affaires, sans TVA.")
    vouchers_sold = serializers.DictField(
        child=serializers.DecimalField(**AMOUNT), help_text="Encaissé pour les bons d'achat vendus, par moyen de paiement."
    )
    cash_movements = serializers.DictField(child=serializers.DecimalField(**AMOUNT))
    cash_movements_net = serializers.DecimalField(**AMOUNT)
    expected_cash = serializers.DecimalField(**AMOUNT)


# --- Tickets -------------------------------------------------------------------------------------


class TenderSerializer(Serializer):
    method = payment_method_field()
    amount = serializers.DecimalField(**AMOUNT)
    voucher_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)


class TenderReadSerializer(Serializer):
    method = serializers.CharField()
    amount = serializers.DecimalField(**AMOUNT)


class SaleLineSerializer(Serializer):
    """A scanned or chosen article: by product id or code (reference or EAN); the same article
    twice adds to its line (scan = quantity + 1)."""

    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False)
    code = serializers.CharField(required=False, max_length=40, help_text="Code produit scanné (référence ou EAN).")
    quantity = serializers.DecimalField(**QUANTITY, required=False)
    discount_percent = serializers.DecimalField(**PERCENT, required=False)

    def validate(self, data):
        if data.get("product") is None and not (data.get("code") or "").strip():
            raise serializers.ValidationError({"code": [_("Indiquez le produit (id) ou son code.")]})
        return data


class NewSaleSerializer(Serializer):
    lines = SaleLineSerializer(many=True, allow_empty=False, max_length=500)
    tenders = TenderSerializer(many=True, allow_empty=False, max_length=20)
    customer = serializers.PrimaryKeyRelatedField(
        queryset=ThirdParty.objects.filter(is_customer=True),
        required=False,
        allow_null=True,
        help_text="Par défaut, le client de passage.",
    )
    discount_percent = serializers.DecimalField(**PERCENT, required=False, help_text="Remise sur tout le ticket.")
    confirm_excess = serializers.BooleanField(default=False, help_text="Confirme un rendu de monnaie au-delà de 200 €.")


class NewVoucherSaleSerializer(Serializer):
    """A voucher sold at the till: its amount (> 0, refused by the service otherwise) and how it
    is paid; for the walk-in customer unless ``customer`` is given."""

    amount = serializers.DecimalField(**AMOUNT, help_text="Montant du bon d'achat (sans TVA).")
    method = serializers.ChoiceField(choices=VOUCHER_SALE_METHODS, default=PaymentMethod.CASH.value)
    customer = serializers.PrimaryKeyRelatedField(
        queryset=ThirdParty.objects.filter(is_customer=True),
        required=False,
        allow_null=True,
        help_text="Par défaut, le client de passage.",
    )


class ReturnLineSerializer(Serializer):
    invoice_line = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    quantity = serializers.DecimalField(**QUANTITY)


class NewReturnSerializer(Serializer):
    """Goods brought back against a sale ticket (``ticket``) or its invoice (``invoice``)."""

    ticket = serializers.PrimaryKeyRelatedField(queryset=Ticket.objects.filter(kind=Ticket.Kind.SALE), required=False)
    invoice = serializers.PrimaryKeyRelatedField(
        queryset=Invoice.objects.filter(tickets__kind=Ticket.Kind.SALE).distinct(), required=False
    )
    lines = ReturnLineSerializer(many=True, allow_empty=False, max_length=500)
    settlement = serializers.ChoiceField(choices=RETURN_SETTLEMENTS, default=CreditNote.Settlement.REFUND.value)
    refund_method = serializers.ChoiceField(choices=REFUND_METHODS, default=PaymentMethod.CASH.value)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)

    def validate(self, data):
        ticket, invoice = data.get("ticket"), data.pop("invoice", None)
        if ticket is None and invoice is None:
            raise serializers.ValidationError({"ticket": [_("Indiquez le ticket de vente (ou sa facture).")]})
        if ticket is None:
            data["ticket"] = invoice.tickets.filter(kind=Ticket.Kind.SALE).first()
        elif invoice is not None and ticket.invoice_id != invoice.pk:
            raise serializers.ValidationError({"invoice": [_("Cette facture n'est pas celle du ticket.")]})
        return data


RECEIPT_LINKS_SCHEMA = {
    "type": "object",
    "description": (
        "Liens du ticket imprimable par largeur de rouleau (80 ou 58 mm) et format (pdf, txt, escpos) : "
        "l'action « receipt » de l'API, qui répond le fichier avec le jeton d'API."
    ),
    "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
    "example": {"80": {"pdf": "/api/v1/till/tickets/1/receipt/?format=pdf&width=80"}},
}


def receipt_links(ticket, duplicate: int | None = None) -> dict:
    """{width: {format: URL}} of the API's ``receipt`` action, so that a client with a token can
    print what it links to (the back-office pages want a browser session)."""
    url = reverse("ticket-receipt", args=[ticket.pk])
    suffix = f"&duplicate={duplicate}" if duplicate else ""
    return {
        width: {output: f"{url}?format={output}&width={width}{suffix}" for output in RECEIPT_FORMATS} for width in RECEIPT_WIDTHS
    }


@extend_schema_field(RECEIPT_LINKS_SCHEMA)
class ReceiptLinksField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, ticket):
        return receipt_links(ticket)


class ReceiptQuerySerializer(Serializer):
    """The query of ``GET /till/tickets/{id}/receipt/``: which file, for which roll, which duplicate."""

    format = serializers.ChoiceField(
        choices=list(RECEIPT_FORMATS.items()),
        default="pdf",
        help_text="Le fichier du ticket.",
        error_messages={"invalid_choice": gettext_lazy("Format de ticket inconnu : pdf, txt ou escpos.")},
    )
    width = serializers.ChoiceField(
        choices=[int(width) for width in RECEIPT_WIDTHS],
        default=80,
        help_text="Largeur du rouleau (mm).",
        error_messages={"invalid_choice": gettext_lazy("Largeur de rouleau inconnue : 80 ou 58 (mm).")},
    )
    duplicate = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Le duplicata n° N (« DUPLICATA n° N »), une fois compté par l'action « reprint ».",
        error_messages={"min_value": gettext_lazy("Un numéro de duplicata commence à 1.")},
    )


class TicketVoucherSerializer(Serializer):
    code = serializers.CharField()
    amount = serializers.DecimalField(**AMOUNT)
    expires_on = serializers.DateField()


class TicketSerializer(ModelSerializer):
    number = serializers.SerializerMethodField(
        help_text="Numéro de la facture (vente), de l'avoir (retour) ou code du bon d'achat vendu."
    )
    total_incl_tax = serializers.SerializerMethodField(help_text="Montant du ticket (un bon d'achat vendu : sans TVA).")
    voucher = serializers.SerializerMethodField(help_text="Le bon d'achat vendu (type « voucher_sale »), sinon null.")
    tendered = TenderReadSerializer(many=True, read_only=True)
    receipt = ReceiptLinksField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "session",
            "user",
            "kind",
            "invoice",
            "credit_note",
            "payment",
            "number",
            "total_incl_tax",
            "voucher",
            "tendered",
            "change",
            "created_at",
            "reprints",
            "receipt",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_number(self, ticket) -> str:
        return ticket.number

    @extend_schema_field(serializers.DecimalField(**AMOUNT))
    def get_total_incl_tax(self, ticket):
        return format(ticket.total, "f")

    @extend_schema_field(TicketVoucherSerializer(allow_null=True))
    def get_voucher(self, ticket):
        if ticket.kind != Ticket.Kind.VOUCHER_SALE:
            return None
        return TicketVoucherSerializer(ticket.payment.voucher).data


class ReprintSerializer(Serializer):
    ticket = TicketSerializer()
    duplicate = serializers.IntegerField(help_text="Numéro du duplicata imprimé (« DUPLICATA n° N »).")
    receipt = serializers.SerializerMethodField(help_text="Liens du duplicata à imprimer (« DUPLICATA n° N »).")

    @extend_schema_field(RECEIPT_LINKS_SCHEMA)
    def get_receipt(self, reprint) -> dict:
        return receipt_links(reprint["ticket"], duplicate=reprint["duplicate"])


class SaleAnswerSerializer(Serializer):
    ticket = TicketSerializer()
    invoice = InvoiceSerializer()
    change = serializers.DecimalField(**AMOUNT, help_text="Monnaie rendue en espèces.")


class TillEventSerializer(ModelSerializer):
    class Meta:
        model = TillEvent
        fields = ["id", "sequence", "kind", "register", "session", "user", "at", "details", "previous_hash", "content_hash"]
        read_only_fields = fields


class ClosureSerializer(ModelSerializer):
    class Meta:
        model = Closure
        fields = [
            "id",
            "sequence",
            "register",
            "kind",
            "period_start",
            "period_end",
            "ticket_count",
            "sales_total",
            "returns_total",
            "period_total",
            "grand_total",
            "totals",
            "closed_by",
            "closed_at",
            "previous_hash",
            "content_hash",
        ]
        read_only_fields = fields
