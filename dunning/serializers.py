"""Serializers of the dunning API: the receivables and the aged balance as of a date (read from
``dunning.queries``), reminders with the items they chased, and the inputs of the reports and of
the reminders' actions. Writes go through ``dunning.services``."""

from rest_framework import serializers

from crm.models import CustomerCategory
from lmb.api import DateField, ModelSerializer, Serializer

from .models import AMOUNT, Reminder, ReminderItem

MONEY = {"max_digits": AMOUNT["max_digits"], "decimal_places": AMOUNT["decimal_places"], "read_only": True}


# --- Inputs of the reports -------------------------------------------------------------------------


class ReportFiltersSerializer(Serializer):
    """What both reports read from the query string; each refused value names its parameter."""

    as_of = DateField(
        required=False, help_text="Date de la situation (AAAA-MM-JJ) : l'image de ce jour-là. Par défaut : aujourd'hui."
    )
    customer = serializers.IntegerField(required=False, min_value=1, help_text="Un client (identifiant du tiers).")
    category = serializers.ChoiceField(
        choices=CustomerCategory.choices,
        required=False,
        help_text="Type de client ; « business » comprend les revendeurs.",
    )
    channel = serializers.IntegerField(required=False, min_value=1, help_text="Canal de vente des factures.")
    sales_rep = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Le commercial qui suit le client (identifiant de l'utilisateur).",
    )
    country = serializers.RegexField(
        r"^[A-Z]{2}$",
        required=False,
        max_length=2,
        help_text="Pays de l'adresse de facturation du client (code ISO à deux lettres, ex. FR).",
        error_messages={"invalid": "Pays : un code ISO de deux lettres majuscules (FR, BE…)."},
    )


class ReceivableFiltersSerializer(ReportFiltersSerializer):
    overdue = serializers.BooleanField(required=False, default=False, help_text="Seulement les échéances en retard.")


class AgedBalanceFiltersSerializer(ReportFiltersSerializer):
    sort = serializers.ChoiceField(
        choices=[("days_late", "Jours de retard"), ("balance", "Solde"), ("name", "Nom")],
        required=False,
        default="days_late",
        help_text="Tri : par jours de retard de l'échéance la plus ancienne (par défaut), par solde ou par nom.",
    )


# --- Reports ---------------------------------------------------------------------------------------


class ReceivableSerializer(Serializer):
    """One open installment of an invoice (or deposit invoice) as of the date asked."""

    installment = serializers.IntegerField(source="installment_id", read_only=True)
    invoice = serializers.IntegerField(source="invoice_id", read_only=True)
    invoice_number = serializers.CharField(read_only=True)
    invoice_kind = serializers.CharField(read_only=True)
    invoice_date = serializers.DateField(read_only=True)
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    customer_category = serializers.CharField(read_only=True)
    channel = serializers.IntegerField(source="channel_id", read_only=True)
    due_date = serializers.DateField(read_only=True)
    currency = serializers.CharField(read_only=True)
    amount = serializers.DecimalField(**MONEY, help_text="L'échéance, dans la devise de la facture.")
    amount_due = serializers.DecimalField(**MONEY, help_text="Ce qu'il en reste dû, dans la devise de la facture.")
    amount_due_eur = serializers.DecimalField(**MONEY, help_text="Reste dû en euros, au cours enregistré sur la facture.")
    days_late = serializers.IntegerField(read_only=True, help_text="0 jusqu'au lendemain de l'échéance.")
    disputed = serializers.BooleanField(read_only=True, help_text="Facture en litige (non relancée, DUN-03).")
    pending_credit_note = serializers.BooleanField(read_only=True, help_text="Un avoir en préparation sur la facture.")


class AgedBalanceSerializer(Serializer):
    """A customer's open items by days late, in euros, as of the date asked."""

    customer = serializers.IntegerField(source="customer_id", read_only=True)
    name = serializers.CharField(read_only=True)
    customer_category = serializers.CharField(read_only=True)
    not_due = serializers.DecimalField(**MONEY, help_text="Non échu.")
    late_1_30 = serializers.DecimalField(**MONEY, help_text="En retard de 1 à 30 jours.")
    late_31_60 = serializers.DecimalField(**MONEY, help_text="En retard de 31 à 60 jours.")
    late_61_90 = serializers.DecimalField(**MONEY, help_text="En retard de 61 à 90 jours.")
    late_over_90 = serializers.DecimalField(**MONEY, help_text="En retard de plus de 90 jours.")
    total = serializers.DecimalField(**MONEY, help_text="Toutes les échéances ouvertes.")
    credit = serializers.DecimalField(**MONEY, help_text="Règlements non affectés et avoirs en compte.")
    balance = serializers.DecimalField(**MONEY, help_text="Total moins le crédit.")
    oldest_due_date = serializers.DateField(read_only=True, allow_null=True, help_text="Échéance la plus ancienne en retard.")
    days_late = serializers.IntegerField(read_only=True, help_text="Retard de l'échéance la plus ancienne (0 : aucun).")


class AgedBalancePageSerializer(Serializer):
    """A page of the aged balance: ``next`` and ``previous`` are the URLs of the pages around it."""

    as_of = serializers.DateField(read_only=True)
    next = serializers.URLField(read_only=True, allow_null=True)
    previous = serializers.URLField(read_only=True, allow_null=True)
    results = AgedBalanceSerializer(many=True, read_only=True)


# --- Reminders -------------------------------------------------------------------------------------


class ReminderItemSerializer(ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = ReminderItem
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "installment",
            "due_date",
            "currency",
            "amount_due",
            "amount_due_eur",
            "days_late",
            "penalty",
            "indemnity",
        ]
        read_only_fields = fields


class ReminderSerializer(ModelSerializer):
    """A reminder to a customer, as the daily run made it, with the overdue items it lists."""

    customer_name = serializers.CharField(source="customer.name", read_only=True)
    step_name = serializers.CharField(source="step.name", read_only=True)
    items = ReminderItemSerializer(many=True, read_only=True)

    class Meta:
        model = Reminder
        fields = [
            "id",
            "customer",
            "customer_name",
            "ladder",
            "position",
            "step",
            "step_name",
            "status",
            "run_date",
            "sent_at",
            "sent_by",
            "emailed_at",
            "email_error",
            "channel",
            "amount_due",
            "credit",
            "penalties",
            "indemnity",
            "total",
            "payment_deadline",
            "subject",
            "body",
            "cancel_reason",
            "created_at",
            "items",
        ]
        read_only_fields = fields


class CancelReminderSerializer(Serializer):
    reason = serializers.CharField(max_length=255, help_text="Pourquoi cette relance n'est pas envoyée (obligatoire).")


class SendReminderSerializer(Serializer):
    recipient = serializers.EmailField(
        required=False,
        allow_blank=True,
        max_length=254,
        help_text="Pour une relance par e-mail : l'adresse à laquelle l'envoyer (vide : celle du client).",
    )
