"""Every number a message shows is written the French way (lmb.formats): « 50 », not « 5E+1 »;
« 0,01 », not « 0.01 »; « 1 000 », not « 1000 ». Messages of the services, of the forms (Django's
own validators included) and of model validation; and a guard over the source for the messages
still to be written."""

import ast
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import lxml.html
import pytest
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator

from lmb import forms as lmb_forms
from lmb.errors import DomainError, messages_by_field
from sales import services
from stock import labels
from tests.factories import ProductFactory
from tests.sales.conftest import shop as shop  # noqa: F401 (the shop fixture)

RAW_NUMBER = re.compile(r"\dE[+-]\d|\d\.\d")


def assert_french(message: str):
    assert message and not RAW_NUMBER.search(message), message


@pytest.mark.django_db
def test_service_refusals_write_their_numbers_the_french_way(shop, admin_user):
    order = services.confirm_order(
        services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 10}])
    )
    line = order.lines.get()
    with pytest.raises(DomainError) as refused:
        services.create_delivery_note(order, quantities={line.pk: Decimal("50")})
    assert "50 à livrer pour 10 restant(s)" in refused.value.message  # was « 5E+1 … 1E+1 »
    assert_french(refused.value.message)

    from accounting import services as accounting_services

    accounting_services.create_fiscal_year(start=date(date.today().year, 1, 1), end=date(date.today().year, 12, 31))
    with pytest.raises(DomainError) as refused:
        accounting_services.post_manual_entry(
            journal="OD",
            day=date.today(),
            piece_ref="OD-1",
            label="Essai",
            lines=[{"account": "512000", "debit": "1234.50"}, {"account": "471000", "credit": "1234.49"}],
        )
    assert "1\u202f234,50\xa0€" in refused.value.message
    assert_french(refused.value.message)

    product = ProductFactory(ean13="2000000000015")
    with pytest.raises(DomainError) as refused:
        labels.start_label_job(items=[(product, 1500)], layout=labels.DEFAULT_LAYOUT, user=admin_user)
    assert "entre 1 et 1\u202f000 (demandé : 1\u202f500)" in refused.value.message
    assert_french(refused.value.message)


@pytest.mark.django_db
def test_form_errors_write_the_limits_of_django_validators_the_french_way(shop, admin_client):
    """A payment of 0 € is refused with « supérieure ou égale à 0,01 » (Django writes « 0.01 »)."""
    response = admin_client.post(
        "/sales/payments/new/",
        {"customer": shop.bakery.code, "method": "transfer", "amount": "0", "payment_date": date.today().isoformat()},
    )
    (error,) = lxml.html.fromstring(response.content.decode()).xpath('//*[@data-error-for="amount"]')
    assert error.text_content() == "Assurez-vous que cette valeur est supérieure ou égale à 0,01."

    class PriceForm(lmb_forms.Form):
        price = forms.DecimalField(validators=[MinValueValidator(Decimal("2.5"))], max_digits=6, decimal_places=2)
        quantity = forms.DecimalField(max_value=Decimal("10000"))
        name = forms.CharField(max_length=5)  # a length: Django picks its plural from the number
        digits = forms.DecimalField(max_digits=4, decimal_places=2)

    form = PriceForm(data={"price": "1", "quantity": "20000", "name": "Théière", "digits": "123.456"})
    assert not form.is_valid()
    assert "2,5" in form.errors["price"][0] and "10\u202f000" in form.errors["quantity"][0]
    assert form.errors["name"] == ["Assurez-vous que cette valeur comporte au plus 5 caractères (actuellement 7)."]
    assert "pas plus de 4 chiffres" in form.errors["digits"][0]
    for messages in form.errors.values():
        for message in messages:
            assert_french(message)


def test_model_validation_messages_write_their_numbers_the_french_way():
    error = ValidationError({"amount": ValidationError("Au moins %(limit_value)s.", params={"limit_value": Decimal("0.01")})})
    assert messages_by_field(error) == {"amount": ["Au moins 0,01."]}
    assert messages_by_field(ValidationError("Pas plus de %(max)s.", params={"max": Decimal("5E+1")})) == {
        "__all__": ["Pas plus de 50."]
    }
    length = ValidationError("Au plus %(limit_value)d caractères.", params={"limit_value": 200})
    assert messages_by_field(length) == {"__all__": ["Au plus 200 caractères."]}


def test_every_lmb_form_writes_its_error_numbers_the_french_way():
    """A form of the project that does not start from lmb.forms would say « 0.01 » again."""
    from django.forms import BaseForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    _import_every_module()
    ours = {cls for cls in subclasses(BaseForm) if cls.__module__.split(".")[0] in APPS}
    assert ours and {cls for cls in ours if not issubclass(cls, lmb_forms.FrenchMessagesMixin)} == set()


# --- The guard over the source ------------------------------------------------------------------

APPS = ("lmb", "crm", "catalog", "stock", "purchasing", "sales", "accounting", "dunning", "stats", "connectors")
# What a value of a message is called when it is a quantity or an amount (the project's names).
NUMERIC_NAME = re.compile(
    r"(^|_)(quantity|quantities|amount|total|debit|credit|price|cost|discount|balance|left|rate|percent|due|received|"
    r"deposits|on_hand|reserved|difference|counted|expected|max|limit|count|created|updated|rejected|posted|done|read)$"
)
FRENCH_FORMATS = {"decimal_fr", "money_fr", "percent_fr", "unit_price_fr"}
MESSAGE_CALLS = {
    "InvalidInput",
    "DomainError",
    "Conflict",
    "TransitionNotAllowed",
    "ValidationError",
    "ImportRefused",
    "success",
    "error",
    "warning",
    "info",
    "add",
    "write",
}


def _name_of(node) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript):
        key = node.slice
        return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else _name_of(node.value)
    if isinstance(node, ast.Call):
        return _name_of(node.func)
    return ""


def _is_raw_number(node) -> bool:
    """A value shown in a message as Python writes it: ``.normalize()`` (« 5E+1 »), or a name of
    the quantity/amount kind not passed through a French format."""
    if isinstance(node, ast.Call):
        return _name_of(node.func) == "normalize" or (
            _name_of(node.func) not in FRENCH_FORMATS and any(_is_raw_number(arg) for arg in node.args)
        )
    if isinstance(node, ast.BinOp):
        return _is_raw_number(node.left) or _is_raw_number(node.right)
    if isinstance(node, ast.UnaryOp):
        return _is_raw_number(node.operand)
    return bool(NUMERIC_NAME.search(_name_of(node).lower()))


def _message_values(tree):
    """(line, value) of every value formatted into a translated message (``_("…%(x)s…") % {…}``),
    and of the f-strings given to an error, a flash message or a report."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.right, ast.Dict):
            if "%(" in ast.unparse(node.left):
                yield from ((node.lineno, value) for value in node.right.values)
        elif isinstance(node, ast.Call) and _name_of(node.func) in MESSAGE_CALLS:
            for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
                for inner in ast.walk(argument):
                    if isinstance(inner, ast.JoinedStr):
                        yield from ((inner.lineno, part.value) for part in inner.values if isinstance(part, ast.FormattedValue))


def _sources():
    for app in APPS:
        for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _import_every_module():
    import importlib

    for path in _sources():
        module = ".".join(path.relative_to(settings.BASE_DIR).with_suffix("").parts)
        if not module.endswith("__init__") and ".management." not in module:
            importlib.import_module(module)


def test_no_message_formats_a_raw_quantity_or_amount():
    """New messages cannot show « 5E+1 » or « 0.01 »: any quantity or amount formatted into a
    message goes through lmb.formats (decimal_fr, money_fr, percent_fr, unit_price_fr)."""
    found = [
        f"{path.relative_to(settings.BASE_DIR)}:{line}: {ast.unparse(value)}"
        for path in _sources()
        for line, value in _message_values(ast.parse(path.read_text()))
        if _is_raw_number(value)
    ]
    assert found == []
