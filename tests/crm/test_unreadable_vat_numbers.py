"""A VAT number python-stdnum cannot even compact (an unknown country prefix: ``XX123``, ``12``)
is refused in French, naming the field, on every entry point — never a 500 (issue #17, item 4)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import ThirdParty
from lmb import imports, validators
from lmb.services import get_company
from tests.crm.test_views import customer_form
from tests.factories import ThirdPartyFactory
from tests.helpers import page_text
from tests.lmb.test_company import IDENTITY

pytestmark = pytest.mark.django_db

UNREADABLE = ["XX123", "12", "--"]
MESSAGE = "doit commencer par le code d'un pays de l'Union européenne"


@pytest.mark.parametrize("value", [*UNREADABLE, "", "  "])
def test_compacting_never_raises(value):
    assert validators.compact_vat_number(value) == value.replace("-", "").strip()


@pytest.mark.parametrize("value", UNREADABLE)
def test_the_validator_says_what_is_wrong_in_french(value):
    with pytest.raises(ValidationError) as error:
        validators.validate_eu_vat_number(validators.compact_vat_number(value))
    assert MESSAGE in error.value.messages[0]


@pytest.mark.parametrize("value", UNREADABLE)
def test_api_create_refuses_it_naming_the_field(api_client, value):
    response = api_client().post("/api/v1/third-parties/", {"name": "Kerbrat", "vat_number": value}, format="json")
    assert response.status_code == 400
    assert MESSAGE in response.json()["vat_number"][0]
    assert not ThirdParty.objects.exists()


@pytest.mark.parametrize("method", ["patch", "put"])
def test_api_update_refuses_it_naming_the_field(api_client, method):
    customer = ThirdPartyFactory(name="Kerbrat")
    payload = {"vat_number": "XX123"} if method == "patch" else {"name": "Kerbrat", "vat_number": "XX123"}
    response = getattr(api_client(), method)(f"/api/v1/third-parties/{customer.pk}/", payload, format="json")
    assert response.status_code == 400
    assert MESSAGE in response.json()["vat_number"][0]
    customer.refresh_from_db()
    assert customer.vat_number == ""


def test_third_party_form_create_shows_it_beside_the_field(admin_client):
    response = admin_client.post(reverse("crm:thirdparty_create"), customer_form(vat_number="XX123"))
    assert response.status_code == 200
    assert 'data-error-for="vat_number"' in page_text(response) and MESSAGE in page_text(response)
    assert not ThirdParty.objects.exists()


def test_third_party_form_update_shows_it_beside_the_field(admin_client):
    customer = ThirdPartyFactory(name="Kerbrat")
    response = admin_client.post(
        reverse("crm:thirdparty_update", args=[customer.pk]), customer_form(name="Kerbrat", vat_number="12")
    )
    assert response.status_code == 200 and MESSAGE in page_text(response)
    customer.refresh_from_db()
    assert customer.vat_number == ""


@pytest.mark.parametrize("with_code", [False, True])
def test_import_preview_rejects_the_row_naming_the_column(admin_user, admin_client, with_code):
    existing = ThirdPartyFactory(name="Kerbrat")
    code = existing.code if with_code else ""
    text = f"Code;Nom;N° TVA\n{code};Kerbrat;XX123\n;Le Goff;FR44732829320\n"
    job = imports.preview_import(kind="third-parties", uploaded_file=SimpleUploadedFile("t.csv", text.encode()), user=admin_user)
    assert [(error["row"], error["column"]) for error in job.errors] == [(2, "N° TVA")]
    assert MESSAGE in job.errors[0]["message"]
    # The screen that uploads the file answers too.
    upload = SimpleUploadedFile("t.csv", text.encode())
    response = admin_client.post(reverse("import_start", args=["third-parties"]), {"file": upload})
    assert response.status_code == 302


def test_company_settings_show_it_beside_the_field(admin_client):
    response = admin_client.post(reverse("company_edit"), {**IDENTITY, "vat_number": "XX123"})
    assert response.status_code == 200
    assert 'data-error-for="vat_number"' in page_text(response) and MESSAGE in page_text(response)
    assert get_company() is None
