"""Forms of the till's management screens (sales/views/till.py). They bound what is typed by the
columns it lands in; the services (``sales.till.services``) have the last word."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lmb.forms import Form, ModelForm
from stock.models import Warehouse

from ..models import Channel
from ..till.models import CashMovement, Closure, Register
from ..till.services import DENOMINATIONS, MAX_PIECES


class RegisterForm(ModelForm):
    """A register's settings: a counter channel, the warehouse its sales leave from."""

    two_columns = True

    class Meta:
        model = Register
        fields = ["code", "name", "channel", "warehouse", "max_discount_percent", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.filter(kind=Channel.Kind.COUNTER, is_active=True).order_by("name")
        self.fields["warehouse"].queryset = Warehouse.objects.filter(is_active=True).order_by("name")


class OpenSessionForm(Form):
    """The float counted in the drawer when the session opens (the service refuses a negative one)."""

    opening_float = forms.DecimalField(label=_("Fond de caisse (€)"), max_digits=14, decimal_places=2)


class CashMovementForm(Form):
    kind = forms.ChoiceField(label=_("Mouvement"), choices=CashMovement.Kind.choices)
    amount = forms.DecimalField(label=_("Montant (€)"), max_digits=14, decimal_places=2)
    reason = forms.CharField(label=_("Motif"), max_length=255, required=False)


class DrawerForm(Form):
    reason = forms.CharField(label=_("Motif de l'ouverture (facultatif)"), max_length=255, required=False)


def denomination_field_name(value) -> str:
    """« d_0_50 » for the 50-cent coin: a form field name per euro note or coin."""
    return "d_" + format(value, "f").replace(".", "_")


class CloseSessionForm(Form):
    """The drawer counted by denomination (500 € note … 1 cent coin) and the reason of a difference."""

    difference_reason = forms.CharField(label=_("Motif de l'écart"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value in DENOMINATIONS:
            field = forms.IntegerField(
                label=format(value, "f").replace(".", ",") + " €",
                min_value=0,
                max_value=MAX_PIECES,
                required=False,
                widget=forms.NumberInput(attrs={"data-denomination": format(value, "f"), "min": 0, "class": "text-end"}),
            )
            self.fields[denomination_field_name(value)] = field
        self.order_fields([denomination_field_name(value) for value in DENOMINATIONS])

    def denomination_fields(self):
        return [self[denomination_field_name(value)] for value in DENOMINATIONS]

    def counted_cash(self) -> dict:
        """{"50.00": 2, …}: the count as ``close_session`` takes it."""
        counted = {}
        for value in DENOMINATIONS:
            pieces = self.cleaned_data.get(denomination_field_name(value))
            if pieces:
                counted[format(value, "f")] = pieces
        return counted


class ClosureForm(Form):
    """A period to close (Z): the day, or the month or the year of the date given."""

    kind = forms.ChoiceField(label=_("Clôture"), choices=Closure.Kind.choices)
    day = forms.DateField(label=_("Date (jour, ou un jour du mois / de l'année)"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"day": timezone.localdate().isoformat(), "kind": Closure.Kind.DAY})
        super().__init__(*args, **kwargs)


class RegisterClosureForm(ClosureForm):
    """A period to close on the closures' list: the register is chosen in the form itself, so the
    list's filters never decide silently which register is closed."""

    register = forms.ModelChoiceField(
        label=_("Caisse"), queryset=Register.objects.order_by("code"), empty_label=_("Choisissez la caisse")
    )
    field_order = ["register", "day", "kind"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "closing-%s")  # the list's filters have their own « register » box
        super().__init__(*args, **kwargs)
