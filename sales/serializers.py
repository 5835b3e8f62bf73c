"""Serializers of the sales API: documents as they are stored (totals, VAT breakdown, lines), and
the inputs of the business actions. Writes go through ``sales.services``; the serializers only
check types and which objects may be named."""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_field
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from catalog.models import Product
from crm.models import Address, ThirdParty
from lmb.api import MULTILINE, DateField, ModelSerializer, Serializer
from stock.models import Warehouse

from .models import (
    AMOUNT,
    QUANTITY,
    UNIT_PRICE,
    Allocation,
    Channel,
    CreditNote,
    CreditNoteLine,
    DeliveryNote,
    DeliveryNoteLine,
    DepositDeduction,
    DocumentLine,
    Installment,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    PaymentMethod,
    Quote,
    QuoteLine,
    Voucher,
)

KINDS_NOT_TYPED = (DocumentLine.Kind.ECO, DocumentLine.Kind.PENALTY, DocumentLine.Kind.INDEMNITY)


class NamedEnumField(serializers.ChoiceField):
    """A choice field whose enum is one named component of the schema, whatever the field is
    called: the line kinds of four documents, or the payment method of every money input, are one
    enum for the API's clients (the schema generator would otherwise name copies and warn)."""

    def __init__(self, enum, *, component_name, **kwargs):
        self.component_name = component_name
        super().__init__(choices=enum.choices, **kwargs)


class NamedEnumFieldSchema(OpenApiSerializerFieldExtension):
    target_class = NamedEnumField

    def map_serializer_field(self, auto_schema, direction):
        schema = {key: value for key, value in build_choice_field(self.target).items() if key != "x-spec-enum-id"}
        component = ResolvedComponent(
            name=self.target.component_name, type=ResolvedComponent.SCHEMA, object=self.target.component_name, schema=schema
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


def line_kind_field(**kwargs):
    return NamedEnumField(DocumentLine.Kind, component_name="DocumentLineKindEnum", **kwargs)


def payment_method_field(**kwargs):
    return NamedEnumField(PaymentMethod, component_name="PaymentMethodEnum", **kwargs)


class ChannelSerializer(ModelSerializer):
    class Meta:
        model = Channel
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "prices_include_tax",
            "warehouse",
            "default_customer",
            "invoicing_policy",
            "email_invoices",
            "is_active",
        ]


# --- Lines ---------------------------------------------------------------------------------------

LINE_FIELDS = [
    "id",
    "document",
    "position",
    "kind",
    "product",
    "code",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "discount_percent",
    "vat_rate",
    "vat_category",
    "vat_exemption_code",
    "net_amount",
    "gross_amount",
    "parent",
]
LINE_READ_ONLY = ["position", "unit", "vat_category", "vat_exemption_code", "net_amount", "gross_amount", "parent"]


class DraftLineSerializer(ModelSerializer):
    """A line of a draft: added by product, scanned code, or typed; the product brings its price,
    designation and VAT unless given. Changing it later touches quantity, price, discount and
    designation only (what it is and its VAT are the document's business)."""

    kind = line_kind_field(default=DocumentLine.Kind.PRODUCT)
    code = serializers.CharField(
        write_only=True, required=False, max_length=40, help_text="Code produit scanné (référence ou EAN)."
    )

    class Meta:
        create_only_fields = ["document", "kind", "product", "code", "vat_rate"]
        fields = LINE_FIELDS
        read_only_fields = LINE_READ_ONLY
        extra_kwargs = {
            "description": {"required": False},
            "quantity": {"required": False},
            "unit_price": {"required": False},
            "vat_rate": {"required": False},
        }

    def validate_kind(self, kind):
        if kind == DocumentLine.Kind.ECO:
            raise serializers.ValidationError(_("L'éco-participation s'ajoute d'elle-même avec son produit."))
        return kind


class QuoteLineSerializer(DraftLineSerializer):
    class Meta(DraftLineSerializer.Meta):
        model = QuoteLine


@extend_schema_serializer(component_name="SalesOrderLine")  # "OrderLine" is purchasing's
class OrderLineSerializer(DraftLineSerializer):
    backorder_quantity = serializers.DecimalField(**QUANTITY, read_only=True, help_text="Reste à livrer.")

    class Meta(DraftLineSerializer.Meta):
        model = OrderLine
        fields = [*LINE_FIELDS, "delivered_quantity", "invoiced_quantity", "backorder_quantity"]
        read_only_fields = [*LINE_READ_ONLY, "delivered_quantity", "invoiced_quantity"]


@extend_schema_serializer(component_name="SalesInvoiceLine")  # "InvoiceLine" is purchasing's
class InvoiceLineSerializer(DraftLineSerializer):
    class Meta(DraftLineSerializer.Meta):
        model = InvoiceLine
        fields = [*LINE_FIELDS, "order_line", "delivery_line"]
        read_only_fields = [*LINE_READ_ONLY, "order_line", "delivery_line"]


class CreditNoteLineSerializer(ModelSerializer):
    """Credit-note lines copy the invoice's; they are chosen when the credit note is made."""

    kind = line_kind_field(read_only=True)

    class Meta:
        model = CreditNoteLine
        fields = [*(name for name in LINE_FIELDS if name != "code"), "invoice_line", "return_to_stock", "stock_move"]
        read_only_fields = fields


class NewLineSerializer(Serializer):
    """A line given with a new document (the same as ``add_line``)."""

    kind = serializers.ChoiceField(
        # Eco-participation follows its product; penalties and the indemnity are dunning's alone (PAY-05).
        choices=[choice for choice in DocumentLine.Kind.choices if choice[0] not in KINDS_NOT_TYPED],
        default=DocumentLine.Kind.PRODUCT,
    )
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False)
    code = serializers.CharField(required=False, max_length=40, help_text="Code produit scanné (référence ou EAN).")
    description = serializers.CharField(required=False, max_length=255)
    quantity = serializers.DecimalField(**QUANTITY, required=False)
    unit_price = serializers.DecimalField(**UNIT_PRICE, min_value=0, required=False)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False)
    vat_rate = serializers.DecimalField(max_digits=6, decimal_places=3, min_value=0, required=False)


# --- Documents -----------------------------------------------------------------------------------

DOCUMENT_FIELDS = [
    "id",
    "number",
    "status",
    "customer",
    "customer_name",
    "customer_siren",
    "customer_vat_number",
    "customer_is_business",
    "channel",
    "billing_address",
    "delivery_address",
    "customer_reference",
    "vat_treatment",
    "destination_country",
    "prices_include_tax",
    "currency",
    "exchange_rate",
    "exchange_rate_date",
    "discount_percent",
    "payment_terms",
    "payment_terms_days",
    "lines_total",
    "allowance_total",
    "total_excl_tax",
    "total_vat",
    "total_incl_tax",
    "total_vat_eur",
    "eco_participation_total",
    "vat_breakdown",
    "legal_mentions",
    "note",
    "created_at",
]
# What ``services.update_draft`` lets change on a draft; everything else is decided at creation.
DRAFT_TERMS = ["discount_percent", "payment_terms", "payment_terms_days", "customer_reference", "note"]


def read_only_except(fields, writable):
    return [name for name in fields if name not in writable]


class QuoteSerializer(ModelSerializer):
    lines = QuoteLineSerializer(many=True, read_only=True)

    class Meta:
        model = Quote
        fields = [*DOCUMENT_FIELDS, "quote_date", "valid_until", "lines"]
        read_only_fields = read_only_except(fields, [*DRAFT_TERMS, "valid_until"])


class OrderSerializer(ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [*DOCUMENT_FIELDS, "order_date", "quote", "warehouse", "carrier", "delivery_notes", "invoices", "lines"]
        read_only_fields = read_only_except(fields, DRAFT_TERMS)


class InstallmentSerializer(ModelSerializer):
    class Meta:
        model = Installment
        fields = ["due_date", "amount"]


class DepositDeductionSerializer(ModelSerializer):
    """A deposit invoice an invoice deducts, and the amount deducted on that invoice (a deposit
    may be deducted over several invoices)."""

    deposit_number = serializers.CharField(source="deposit.number", read_only=True)

    class Meta:
        model = DepositDeduction
        fields = ["deposit", "deposit_number", "amount"]
        read_only_fields = fields


class DeductedDepositsField(serializers.ListField):
    """The ids of the deposit invoices an invoice deducts, read from its deductions (one
    prefetch serves both fields)."""

    child = serializers.IntegerField()

    def to_representation(self, data):
        return [deduction.deposit_id for deduction in data.all()]


class InvoiceSerializer(ModelSerializer):
    """An invoice with what it still awaits: ``paid`` (payments and credit notes allocated) and
    ``balance`` (amount due − paid)."""

    lines = InvoiceLineSerializer(many=True, read_only=True)
    deducted_deposits = DeductedDepositsField(
        source="deposit_deductions", read_only=True, help_text="Factures d'acompte déduites (identifiants)."
    )
    deposit_deductions = DepositDeductionSerializer(
        many=True, read_only=True, help_text="Acomptes déduits, avec le montant déduit sur cette facture."
    )
    installments = InstallmentSerializer(many=True, read_only=True)
    paid = serializers.DecimalField(**AMOUNT, read_only=True, help_text="Réglé (règlements et avoirs affectés).")
    balance = serializers.DecimalField(**AMOUNT, read_only=True, help_text="Reste à payer.")

    class Meta:
        model = Invoice
        fields = [
            *DOCUMENT_FIELDS,
            "kind",
            "invoice_date",
            "delivery_date",
            "due_date",
            "orders",
            "periodic",
            "deposits_total",
            "deducted_deposits",
            "deposit_deductions",
            "amount_due",
            "paid",
            "balance",
            "installments",
            "issued_at",
            "content_hash",
            "lines",
        ]
        read_only_fields = read_only_except(fields, DRAFT_TERMS)


class CreditNoteSerializer(ModelSerializer):
    lines = CreditNoteLineSerializer(many=True, read_only=True)
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = CreditNote
        fields = [
            *DOCUMENT_FIELDS,
            "invoice",
            "invoice_number",
            "credit_date",
            "reason",
            "settlement",
            "issued_at",
            "content_hash",
            "lines",
        ]
        read_only_fields = fields


class DeliveryNoteLineSerializer(ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(source="order_line.product", read_only=True)
    description = serializers.CharField(source="order_line.description", read_only=True)

    class Meta:
        model = DeliveryNoteLine
        fields = ["id", "delivery_note", "order_line", "product", "description", "quantity", "invoiced_quantity", "stock_move"]
        read_only_fields = fields


class DeliveryNoteSerializer(ModelSerializer):
    lines = DeliveryNoteLineSerializer(many=True, read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True)
    customer = serializers.PrimaryKeyRelatedField(source="order.customer", read_only=True)
    customer_name = serializers.CharField(source="order.customer_name", read_only=True)

    class Meta:
        model = DeliveryNote
        fields = [
            "id",
            "number",
            "status",
            "order",
            "order_number",
            "customer",
            "customer_name",
            "warehouse",
            "delivery_address",
            "carrier",
            "tracking_number",
            "shipped_at",
            "created_at",
            "lines",
        ]
        read_only_fields = fields


# --- Payments and vouchers -----------------------------------------------------------------------


class AllocationSerializer(ModelSerializer):
    class Meta:
        model = Allocation
        fields = ["invoice", "amount", "allocated_at"]


class PaymentSerializer(ModelSerializer):
    method = payment_method_field(read_only=True)
    allocations = AllocationSerializer(many=True, read_only=True)
    allocated = serializers.DecimalField(**AMOUNT, read_only=True, help_text="Affecté à des factures.")
    voucher_code = serializers.CharField(source="voucher.code", read_only=True, default=None)

    class Meta:
        model = Payment
        fields = [
            "id",
            "customer",
            "purpose",
            "method",
            "amount",
            "currency",
            "payment_date",
            "reference",
            "voucher",
            "voucher_code",
            "order",
            "credit_note",
            "note",
            "allocated",
            "allocations",
            "created_at",
        ]
        read_only_fields = fields


class VoucherSerializer(ModelSerializer):
    class Meta:
        model = Voucher
        fields = ["id", "code", "customer", "amount", "balance", "expires_on", "credit_note", "sold", "created_at"]
        read_only_fields = fields


# --- Inputs of creations and actions -------------------------------------------------------------


class NewDocumentSerializer(Serializer):
    """Who the document is for and through which channel; its customer details, addresses, payment
    terms and VAT treatment are copied from the customer by the service."""

    customer = serializers.PrimaryKeyRelatedField(queryset=ThirdParty.objects.all())
    channel = serializers.PrimaryKeyRelatedField(queryset=Channel.objects.filter(is_active=True))
    delivery_address_id = serializers.PrimaryKeyRelatedField(
        queryset=Address.objects.all(),
        required=False,
        help_text="Une adresse du client ; par défaut, son adresse de livraison par défaut.",
    )
    currency = serializers.CharField(min_length=3, max_length=3, default="EUR")
    prices_include_tax = serializers.BooleanField(required=False, help_text="Par défaut, le mode du canal.")
    customer_reference = serializers.CharField(max_length=50, required=False)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False)
    note = serializers.CharField(required=False, allow_blank=True, style=MULTILINE)
    lines = NewLineSerializer(many=True, required=False)

    def validate(self, data):
        address = data.pop("delivery_address_id", None)
        if address is not None:
            if address.third_party_id != data["customer"].pk:
                raise serializers.ValidationError({"delivery_address_id": [_("Cette adresse n'est pas une adresse du client.")]})
            data["delivery_address"] = address
        return data


class NewQuoteSerializer(NewDocumentSerializer):
    valid_until = DateField(required=False, help_text="Par défaut, 30 jours après l'envoi.")


class NewOrderSerializer(NewDocumentSerializer):
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(), required=False, help_text="Par défaut, le dépôt du canal."
    )
    carrier = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Le transporteur choisi : celui des bons de livraison."
    )


class NewInvoiceSerializer(Serializer):
    """Either what was shipped (``delivery_notes``, and/or ``orders`` for their services and
    shipping), or an invoice typed directly (``customer``, ``channel``, ``lines``)."""

    delivery_notes = serializers.PrimaryKeyRelatedField(queryset=DeliveryNote.objects.all(), many=True, required=False)
    orders = serializers.PrimaryKeyRelatedField(queryset=Order.objects.all(), many=True, required=False)
    customer = serializers.PrimaryKeyRelatedField(queryset=ThirdParty.objects.all(), required=False)
    channel = serializers.PrimaryKeyRelatedField(queryset=Channel.objects.filter(is_active=True), required=False)
    customer_reference = serializers.CharField(max_length=50, required=False)
    note = serializers.CharField(required=False, allow_blank=True, style=MULTILINE)
    lines = NewLineSerializer(many=True, required=False)

    def validate(self, data):
        from_shipments = bool(data.get("delivery_notes") or data.get("orders"))
        if from_shipments:
            typed = [name for name in ("customer", "channel", "lines", "customer_reference", "note") if name in data]
            if typed:
                raise serializers.ValidationError(
                    {name: [_("Sans objet pour une facture établie depuis des livraisons ou des commandes.")] for name in typed}
                )
            return data
        missing = [name for name in ("customer", "channel") if name not in data]
        if missing:
            raise serializers.ValidationError(
                {
                    name: [_("Obligatoire pour une facture saisie directement (sinon, indiquez delivery_notes ou orders).")]
                    for name in missing
                }
            )
        return data


class QuantityLineSerializer(Serializer):
    order_line = serializers.IntegerField()
    quantity = serializers.DecimalField(**QUANTITY, min_value=0)


class DeliverSerializer(Serializer):
    """Without ``lines``, everything left to ship; else the given quantity of each order line."""

    lines = QuantityLineSerializer(many=True, required=False, allow_empty=False)

    def validate_lines(self, lines):
        order = self.context["order"]
        goods = set(
            order.lines.filter(kind=OrderLine.Kind.PRODUCT, product__kind=Product.Kind.GOODS).values_list("pk", flat=True)
        )
        errors = [
            {} if line["order_line"] in goods else {"order_line": [_("Pas une marchandise de cette commande.")]} for line in lines
        ]
        if any(errors):
            raise serializers.ValidationError(errors)
        if len({line["order_line"] for line in lines}) != len(lines):
            raise serializers.ValidationError(_("Chaque ligne de commande ne figure qu'une fois."))
        return lines


class ReasonSerializer(Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class ShipSerializer(Serializer):
    carrier = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    tracking_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class DeliveryQuantitySerializer(Serializer):
    quantity = serializers.DecimalField(**QUANTITY, min_value=0)


class MoneyInSerializer(Serializer):
    """Money received: how much, how, when."""

    amount = serializers.DecimalField(**AMOUNT)
    method = payment_method_field()
    payment_date = DateField(required=False, help_text="Par défaut, aujourd'hui.")
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class PaySerializer(MoneyInSerializer):
    voucher_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    confirm_excess = serializers.BooleanField(
        default=False,
        help_text="Un montant très supérieur au reste dû des factures (plus de 10 %) est refusé (400) "
        "sauf avec true : le surplus reste au crédit du client.",
    )


class NewPaymentSerializer(PaySerializer):
    """A settlement, allocated to ``invoices`` in that order (each up to its balance); the rest is
    kept as the customer's credit."""

    customer = serializers.PrimaryKeyRelatedField(queryset=ThirdParty.objects.all())
    invoices = serializers.PrimaryKeyRelatedField(queryset=Invoice.objects.all(), many=True, default=list)

    def validate(self, data):
        others = [invoice.pk for invoice in data["invoices"] if invoice.customer_id != data["customer"].pk]
        if others:
            raise serializers.ValidationError({"invoices": [_("Factures d'un autre client : %(ids)s.") % {"ids": others}]})
        return data


class RefundSerializer(Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=ThirdParty.objects.all())
    credit_note = serializers.PrimaryKeyRelatedField(queryset=CreditNote.objects.all(), required=False, allow_null=True)
    amount = serializers.DecimalField(**AMOUNT)
    method = payment_method_field()
    payment_date = DateField(required=False)
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)

    def validate(self, data):
        credit_note = data.get("credit_note")
        if credit_note is not None and credit_note.customer_id != data["customer"].pk:
            raise serializers.ValidationError({"credit_note": [_("Cet avoir est celui d'un autre client.")]})
        return data


class AllocateSerializer(Serializer):
    invoice = serializers.PrimaryKeyRelatedField(queryset=Invoice.objects.all())
    amount = serializers.DecimalField(**AMOUNT)


class VoucherSaleSerializer(MoneyInSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=ThirdParty.objects.all())
    expires_on = DateField(required=False, help_text="Par défaut, dans un an.")


class InstallmentInputSerializer(Serializer):
    due_date = DateField()
    amount = serializers.DecimalField(**AMOUNT)


class IssueInvoiceSerializer(Serializer):
    issue_date = DateField(required=False, help_text="Par défaut, aujourd'hui.")
    installments = InstallmentInputSerializer(many=True, required=False, help_text="Échéancier ; par défaut, une échéance.")


class CreditLineSerializer(Serializer):
    invoice_line = serializers.IntegerField()
    quantity = serializers.DecimalField(**QUANTITY, required=False)
    unit_price = serializers.DecimalField(
        **UNIT_PRICE, required=False, help_text="Plus bas que facturé : une remise accordée après."
    )
    return_to_stock = serializers.BooleanField(required=False, default=False)


class CreditSerializer(Serializer):
    """Without ``lines``, everything not credited yet (a cancellation)."""

    reason = serializers.CharField(max_length=255)
    lines = CreditLineSerializer(many=True, required=False, allow_empty=False)
    return_to_stock = serializers.BooleanField(default=False, help_text="Sans lines : les marchandises reviennent en stock.")
    settlement = serializers.ChoiceField(choices=CreditNote.Settlement.choices, default=CreditNote.Settlement.BALANCE)


class IssueCreditNoteSerializer(Serializer):
    issue_date = DateField(required=False, help_text="Par défaut, aujourd'hui.")
    refund_method = payment_method_field(required=False, help_text="Obligatoire quand l'avoir est remboursé.")
