"""Variants: one product per variant, naming its model and what sets it apart (catalog docstring)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog import services
from lmb.errors import InvalidInput
from tests.factories import ProductFactory, vat_rate
from tests.helpers import page_text

pytestmark = pytest.mark.django_db


def test_a_variant_names_its_model_and_the_product_pages_show_both(admin_client):
    model = ProductFactory(reference="TSHIRT", designation="T-shirt coton")
    size_m = ProductFactory(
        reference="TSHIRT-M", designation="T-shirt coton — Taille : M", variant_of=model, variant_attributes="Taille : M"
    )
    ProductFactory(reference="TSHIRT-L", designation="T-shirt L", variant_of=model, variant_attributes="Taille : L")

    model_page = page_text(admin_client.get(reverse("catalog:product_detail", args=[model.pk])))
    assert "Déclinaisons (2)" in model_page and "TSHIRT-M" in model_page and "Taille : L" in model_page
    variant_page = page_text(admin_client.get(reverse("catalog:product_detail", args=[size_m.pk])))
    model_url = reverse("catalog:product_detail", args=[model.pk])
    assert f'Déclinaison de <a href="{model_url}">TSHIRT — T-shirt coton</a> : Taille : M' in variant_page


def test_variants_have_one_level():
    model = ProductFactory(reference="TSHIRT")
    variant = ProductFactory(reference="TSHIRT-M", variant_of=model)
    with pytest.raises(InvalidInput) as refused:
        ProductFactory(reference="TSHIRT-M-BLEU", variant_of=variant)
    assert "est lui-même une déclinaison de « TSHIRT »" in str(refused.value.errors["variant_of"])
    with pytest.raises(InvalidInput) as refused:
        services.update_product(model, variant_of=ProductFactory(reference="AUTRE"))
    assert "modèle d'autres déclinaisons" in str(refused.value.errors["variant_of"])
    with pytest.raises(InvalidInput):
        services.update_product(variant, variant_of=variant)


def test_the_product_form_takes_the_model_by_its_reference(admin_client):
    model = ProductFactory(reference="TSHIRT")
    response = admin_client.post(
        reverse("catalog:product_create"),
        {
            "reference": "TSHIRT-S",
            "designation": "T-shirt S",
            "kind": "goods",
            "unit": "C62",
            "vat_rate": vat_rate().pk,
            "purchase_price": "0",
            "sale_price": "12",
            "eco_participation": "0",
            "variant_of": "tshirt",
            "variant_attributes": "Taille : S",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, page_text(response)
    created = model.variants.get()
    assert (created.reference, created.variant_attributes) == ("TSHIRT-S", "Taille : S")
    assert created.sale_price_excl_tax == Decimal("12")
