import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from lmb import roles
from lmb.errors import InvalidInput
from lmb.services import get_company, save_company
from tests.helpers import page_text

IDENTITY = {
    "name": "Au Comptoir Breton",
    "legal_form": "SARL",
    "share_capital": "20000",
    "siren": "902 114 305",
    "siret": "902 114 305 00011",
    "rcs_city": "Rennes",
    "vat_number": "FR 53 902114305",
    "address_line1": "12 quai Duguay-Trouin",
    "postal_code": "35000",
    "city": "Rennes",
    "country": "FR",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "default_payment_terms": "net_30",
    "late_penalty_rate": "12.15",
    "early_payment_terms": "Pas d'escompte pour paiement anticipé.",
    "oss_threshold": "10000",
}


@pytest.mark.django_db
def test_company_identity_is_stored_compact():
    company = save_company(**IDENTITY)
    assert (company.siren, company.siret, company.vat_number) == ("902114305", "90211430500011", "FR53902114305")
    assert company.iban == "FR7630006000011234567890189"
    assert get_company().pk == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("siren", "902114306"),
        ("siret", "90211430500012"),
        ("vat_number", "FR00902114305"),
        ("iban", "FR7630006000011234567890188"),
    ],
)
def test_bad_identifiers_are_refused_naming_the_field(field, value):
    with pytest.raises(InvalidInput) as error:
        save_company(**{**IDENTITY, field: value})
    assert field in error.value.errors
    assert get_company() is None


@pytest.mark.django_db
def test_siret_must_belong_to_the_siren():
    with pytest.raises(InvalidInput) as error:
        save_company(**{**IDENTITY, "siret": "73282932000074"})
    assert "siret" in error.value.errors


@pytest.mark.django_db
def test_settings_screen_shows_errors_beside_the_field(admin_client):
    response = admin_client.post(reverse("company_edit"), {**IDENTITY, "siren": "123"})
    assert response.status_code == 200
    assert "SIREN « 123 » n'est pas valide" in page_text(response)
    assert get_company() is None
    response = admin_client.post(reverse("company_edit"), IDENTITY)
    assert response.status_code == 302
    assert get_company().siren == "902114305"
    assert "902114305" in admin_client.get(reverse("company")).content.decode()


@pytest.mark.django_db
def test_only_administrators_edit_the_company(role_client):
    assert role_client(roles.SALES).post(reverse("company_edit"), IDENTITY).status_code == 403


def test_production_settings_pass_check_deploy():
    """With the production environment (HTTPS, real secret, DEBUG off), check --deploy is clean."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
        "DJANGO_HTTPS": "1",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "lmb.example.fr",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"vat_number": "FR40303265045"}, "vat_number"),
        ({"bic": "XXXX"}, "bic"),
        ({"country": "ZZ"}, "country"),
        ({"late_penalty_rate": "0"}, "late_penalty_rate"),
    ],
)
def test_identity_details_printed_on_invoices_are_checked(changes, field):
    with pytest.raises(InvalidInput) as error:
        save_company(**{**IDENTITY, **changes})
    assert field in error.value.errors


def test_production_refuses_to_start_without_its_own_secret_key():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "DJANGO_HTTPS": "1", "DATABASE_URL": "sqlite:///:memory:"},
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr
