import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import ThirdParty
from lmb import imports
from tests.factories import ThirdPartyFactory, valid_siren

pytestmark = pytest.mark.django_db


def csv_file(text):
    return SimpleUploadedFile("tiers.csv", text.encode("utf-8"))


def test_third_parties_import_with_bad_rows_changes_nothing_until_confirmed(admin_user):
    siren = valid_siren(21)
    text = (
        "Type;Nom;Prénom;Nom de famille;Catégorie;SIREN;E-mail;Adresse;Code postal;Ville;Pays;Fournisseur\n"
        f"Société;Cave des Halles;;;Entreprise;{siren};cave@example.fr;2 place des Halles;35000;Rennes;FR;non\n"
        "Particulier;;Anne;Le Gall;Particulier;;anne@example;1 rue;29200;Brest;FR;non\n"  # bad e-mail
        "Société;Feinkost;;;Entreprise;;;Str. 1;10115;Berlin;DE;oui\n"
        "Société;Sans SIREN valide;;;Entreprise;123456789;;;;;;non\n"  # bad SIREN
        "Client VIP;Inconnu;;;;;;;;;;\n"  # unknown type
    )
    job = imports.preview_import(kind="third-parties", uploaded_file=csv_file(text), user=admin_user)
    assert not ThirdParty.objects.exists()
    assert {(e["row"], e["column"]) for e in job.errors} == {(3, "E-mail"), (5, "SIREN"), (6, "Type")}
    job = imports.confirm_import(job, user=admin_user)
    assert job.created_count == 2
    cave = ThirdParty.objects.get(name="Cave des Halles")
    assert cave.siren == siren and cave.addresses.get().city == "Rennes" and cave.customer_account
    assert ThirdParty.objects.get(name="Feinkost").is_supplier


def test_a_known_code_updates_the_third_party(admin_user):
    customer = ThirdPartyFactory(name="Ancien nom", email="garder@example.fr")
    text = f"Code;Nom;Ville;Adresse;Code postal\n{customer.code};Nouveau nom;Quimper;4 rue Kéréon;29000\nT999999;X;;;\n"
    job = imports.preview_import(kind="third-parties", uploaded_file=csv_file(text), user=admin_user)
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "Code")]
    imports.confirm_import(job, user=admin_user)
    customer.refresh_from_db()
    assert customer.name == "Nouveau nom" and customer.email == "garder@example.fr"
    assert customer.addresses.get().city == "Quimper"


def test_a_known_siret_is_not_imported_twice_and_excel_postal_codes_are_repaired(admin_user):
    from stdnum import luhn

    siren = valid_siren(31)
    siret = siren + "0001" + luhn.calc_check_digit(siren + "0001")
    existing = ThirdPartyFactory(name="Dup SARL", siret=siret)
    text = (
        f"Nom;SIRET;Adresse;Code postal;Ville\nDup SARL;{siret};1 rue;1000;Bourg-en-Bresse\nAutre;;2 rue;1000;Bourg-en-Bresse\n"
    )
    job = imports.preview_import(kind="third-parties", uploaded_file=csv_file(text), user=admin_user)
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "SIRET")] and existing.code in job.errors[0]["message"]
    imports.confirm_import(job, user=admin_user)
    assert ThirdParty.objects.get(name="Autre").addresses.get().postal_code == "01000"
