"""Numbers bounded by their columns (issue #17, item 1), the kernel's part: ``lmb.bounds``, the
guard every model decimal carries (``lmb.fields.DecimalField``), forms and serializers bounded,
and what stock and purchasing compute from a quantity. (Sales documents and payments:
tests/sales/test_number_bounds.py; PrestaShop payloads: tests/connectors/test_prestashop_bad_payloads.py.)"""

from decimal import Decimal

import pytest
from django import forms as django_forms
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from rest_framework import serializers as drf_serializers

from catalog.models import Product
from lmb import bounds, imports
from lmb.errors import InvalidInput
from lmb.fields import DecimalField
from purchasing import services as purchasing_services
from stock import services as stock_services
from stock.models import ProductValuation, StockLevel, StockMove
from tests.factories import ProductFactory, ThirdPartyFactory, warehouse
from tests.lmb.test_control_characters import OUR_APPS, _ours, _subclasses


@pytest.mark.parametrize(
    ("value", "digits", "fits"),
    [
        ("999999999999.99", (14, 2), True),
        ("999999999999.994", (14, 2), True),  # rounds to what the column holds
        ("999999999999.995", (14, 2), False),  # rounds beyond it
        ("-999999999999.99", (14, 2), True),
        ("99999999999", (14, 3), True),
        ("100000000000", (14, 3), False),
        ("1e400", (14, 2), False),
        ("NaN", (14, 2), False),
    ],
)
def test_fits(value, digits, fits):
    assert bounds.fits(Decimal(value), *digits) is fits


def test_a_refusal_writes_a_typed_number_out_up_to_40_digits_and_beyond_says_its_length():
    """« 1e999 » typed in an amount: the refusal says « un nombre de 1 000 chiffres », not a
    thousand digits; 40 nines are still written out."""
    huge = bounds.too_large("montant", "1e999", 14, 2)
    assert huge == "Montant : un nombre de 1\u202f000 chiffres est trop grand (999\u202f999\u202f999\u202f999,99 au plus)."
    forty = bounds.too_large("montant", "9" * 40, 14, 2)
    assert forty.startswith("Montant : 9\u202f999\u202f999") and "chiffres" not in forty
    assert "-1\u202f000 chiffres" not in bounds.too_large("montant", "-1e999", 14, 2)
    assert "un nombre de 1\u202f000 chiffres" in bounds.too_large("montant", "-1e999", 14, 2)


def test_every_model_decimal_carries_the_guard():
    ours = [model for model in apps.get_models() if model.__module__.startswith(OUR_APPS)]
    decimals = [
        (model, field) for model in ours for field in model._meta.concrete_fields if isinstance(field, models.DecimalField)
    ]
    assert len(decimals) > 70
    assert [f"{model.__name__}.{field.name}" for model, field in decimals if not isinstance(field, DecimalField)] == []


def test_every_form_and_serializer_decimal_is_bounded():
    """Forms and serializers built from a model take its column's digits; those declared by hand
    must say theirs (an unbounded one would let "1e30" reach the services)."""
    unbounded = []
    for form in _ours(_subclasses(django_forms.BaseForm)):
        for name, field in form.base_fields.items():
            if isinstance(field, django_forms.DecimalField) and field.max_digits is None:
                unbounded.append(f"{form.__name__}.{name}")
    for serializer in _ours(_subclasses(drf_serializers.Serializer)):
        for name, field in getattr(serializer, "_declared_fields", {}).items():
            if isinstance(field, drf_serializers.DecimalField) and field.max_digits is None:
                unbounded.append(f"{serializer.__name__}.{name}")
    assert unbounded == []


# --- Stock and purchasing: what a quantity makes ---------------------------------------------------


@pytest.mark.smoke
@pytest.mark.django_db
def test_a_stock_move_whose_value_or_level_would_overflow_is_refused_naming_the_quantity():
    main = warehouse()
    product = ProductFactory(purchase_price=Decimal("10000"))
    with pytest.raises(InvalidInput) as error:  # 99 999 999 999 × 10 000 €: a value of 10^15
        stock_services.receive(product=product, warehouse=main, quantity="99999999999", unit_cost="10000")
    assert "Quantité : trop grand, la valeur du mouvement" in error.value.errors["quantity"][0]
    stock_services.receive(product=product, warehouse=main, quantity="99999999999", unit_cost="1")
    with pytest.raises(InvalidInput) as error:  # the level would hold 2 × 99 999 999 999: 12 digits
        stock_services.receive(product=product, warehouse=main, quantity="99999999999", unit_cost="1")
    assert "Quantité : trop grand, le stock de" in error.value.errors["quantity"][0]
    assert StockMove.objects.count() == 1
    assert StockLevel.objects.get(product=product).on_hand == Decimal("99999999999")
    assert ProductValuation.objects.get(product=product).quantity == Decimal("99999999999")


@pytest.mark.django_db
def test_a_quantity_beyond_its_column_is_refused_naming_it():
    with pytest.raises(InvalidInput) as error:
        stock_services.receive(product=ProductFactory(), warehouse=warehouse(), quantity="1e20", unit_cost="1")
    assert "Quantité : 100 000 000 000 000 000 000 est trop grand" in error.value.errors["quantity"][0].replace("\u202f", " ")


@pytest.mark.django_db
def test_a_supplier_order_line_too_large_is_refused_naming_the_quantity():
    supplier = ThirdPartyFactory(is_customer=False, is_supplier=True)
    line = {"product": ProductFactory(), "quantity": Decimal("99999999999"), "unit_price": Decimal("100")}
    with pytest.raises(InvalidInput) as error:
        purchasing_services.create_supplier_order(supplier=supplier, warehouse=warehouse(), lines=[line])
    assert "Quantité : trop grand, le montant de la ligne" in error.value.errors["quantity"][0]


@pytest.mark.django_db
def test_a_price_whose_tax_included_form_would_overflow_is_refused_naming_the_sale_price(admin_user):
    """99 999 999,99 € HT fits its column; its 119 999 999,99 € TTC does not."""
    with pytest.raises(InvalidInput) as error:
        ProductFactory(sale_price=Decimal("99999999.99"))
    assert "Prix de vente : trop grand, le prix TTC" in error.value.errors["sale_price"][0]
    rows = "Référence;Désignation;TVA;Prix de vente\nBOL-01;Bol;20;99999999,99\nBOL-02;Bol;20;12,90\n"
    job = imports.preview_import(kind="products", uploaded_file=SimpleUploadedFile("p.csv", rows.encode()), user=admin_user)
    assert [(error["row"], error["column"]) for error in job.errors] == [(2, "Prix de vente")]
    imports.confirm_import(job, user=admin_user)
    assert list(Product.objects.values_list("reference", flat=True)) == ["BOL-02"]
