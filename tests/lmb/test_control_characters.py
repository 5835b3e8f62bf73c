"""A control character (BEL U+0007…) is refused in every text field at the input, naming the field
— forms, the API, imports, connector payloads (issue #17, item 2) — while a text area keeps its
tabs and line breaks. (What was stored before still prints: tests/sales/test_stored_control_characters.py.)"""

import inspect
from decimal import Decimal

import pytest
from django import forms as django_forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext_lazy
from rest_framework import serializers as drf_serializers

from catalog.models import Product
from crm.models import ThirdParty
from lmb import api as lmb_api
from lmb import bounds, imports, text
from lmb import forms as lmb_forms
from tests.crm.test_views import customer_form
from tests.factories import ThirdPartyFactory
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

REFUSED = "caractère de contrôle invisible (U+0007)"


@pytest.mark.parametrize(
    ("value", "multiline", "refused"),
    [
        ("Boulangerie\x07 Le Goff", False, True),
        ("Boulangerie\x07 Le Goff", True, True),
        ("Ligne 1\nLigne 2\tfin", True, False),
        ("Ligne 1\nLigne 2", False, True),
        ("Crêperie « Ker Avel » — 12 €", False, False),
        ("\x1b[31mrouge", True, True),
        ("\x85", True, True),  # a C1 control (NEL)
    ],
)
def test_the_rule(value, multiline, refused):
    assert (text.control_character(value, multiline=multiline) is not None) == refused


def test_xml_text_drops_only_what_xml_cannot_carry():
    assert text.xml_text("A\x07B\x00C\nD\tE\ufffe") == "ABC\nD\tE"


# --- Forms ----------------------------------------------------------------------------------------


def test_a_form_shows_it_beside_the_field_and_saves_nothing(admin_client):
    response = admin_client.post(reverse("crm:thirdparty_create"), customer_form(name="Ker\x07 Avel"))
    assert response.status_code == 200
    page = page_text(response)
    assert 'data-error-for="name"' in page and REFUSED in page
    assert not ThirdParty.objects.exists()


def test_a_text_area_keeps_its_line_breaks(admin_client):
    response = admin_client.post(reverse("crm:thirdparty_create"), customer_form(notes="Livrer le matin\nSonner deux fois"))
    assert response.status_code == 302
    assert ThirdParty.objects.get().notes == "Livrer le matin\nSonner deux fois"
    response = admin_client.post(reverse("crm:thirdparty_create"), customer_form(name="Autre", notes="Bip\x07"))
    assert response.status_code == 200 and 'data-error-for="notes"' in page_text(response)


# --- API ------------------------------------------------------------------------------------------


def test_api_model_serializer_refuses_it_naming_the_field(api_client):
    response = api_client().post("/api/v1/third-parties/", {"name": "Ker\x07 Avel"}, format="json")
    assert response.status_code == 400 and REFUSED in response.json()["name"][0]
    assert not ThirdParty.objects.exists()


# --- Imports and connector payloads ---------------------------------------------------------------


def test_an_import_rejects_the_row_naming_the_column(admin_user):
    rows = "Référence;Désignation;TVA;Prix de vente\nBOL-01;Bol\x07 breton;20;12,90\nBOL-02;Bol à café;20;8\n"
    job = imports.preview_import(kind="products", uploaded_file=SimpleUploadedFile("p.csv", rows.encode()), user=admin_user)
    assert [(error["row"], error["column"]) for error in job.errors] == [(2, "Désignation")]
    assert REFUSED in job.errors[0]["message"]
    imports.confirm_import(job, user=admin_user)
    assert list(Product.objects.values_list("reference", flat=True)) == ["BOL-02"]


# --- Every form and serializer follows the rule ----------------------------------------------------


def _subclasses(base):
    for subclass in base.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


OUR_APPS = ("lmb.", "crm.", "catalog.", "stock.", "purchasing.", "sales.", "accounting.", "dunning.", "stats.", "connectors.")


def _ours(classes):
    return {cls for cls in classes if cls.__module__.startswith(OUR_APPS)}


def test_every_form_of_ours_applies_the_input_rules():
    forms = _ours(_subclasses(django_forms.BaseForm))
    assert len(forms) > 20
    assert sorted(f"{cls.__module__}.{cls.__name__}" for cls in forms if not issubclass(cls, lmb_forms.InputRulesMixin)) == []


def test_every_serializer_of_ours_applies_the_input_rules():
    serializers = {cls for cls in _ours(_subclasses(drf_serializers.BaseSerializer)) if not inspect.isabstract(cls)}
    assert len(serializers) > 20
    assert sorted(f"{cls.__module__}.{cls.__name__}" for cls in serializers if not issubclass(cls, lmb_api.InputRulesMixin)) == []


def test_a_third_party_saved_before_the_rule_can_be_corrected(admin_client):
    """Stored with a control character (before this rule), the third party still opens and its
    corrected form saves."""
    customer = ThirdPartyFactory(name="Propre")
    ThirdParty.objects.filter(pk=customer.pk).update(name="Ker\x07 Avel")
    assert admin_client.get(reverse("crm:thirdparty_detail", args=[customer.pk])).status_code == 200
    response = admin_client.post(reverse("crm:thirdparty_update", args=[customer.pk]), customer_form(name="Ker Avel"))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "Ker Avel"


def test_a_message_starts_with_a_capital_the_rest_of_the_label_as_it_is():
    assert text.capitalized(gettext_lazy("état du stock")) == "État du stock" and text.capitalized("e-mail TVA") == "E-mail TVA"
    assert text.capitalized("") == ""
    assert text.refusal("\x07", "nom").startswith("Nom : ce texte") and text.refusal("\x07").startswith("Ce texte")
    assert text.too_long("état", 300, 255).startswith("État : 300 caractères")
    assert bounds.too_large("quantité", Decimal("1E+20"), 14, 3).startswith("Quantité : ")
