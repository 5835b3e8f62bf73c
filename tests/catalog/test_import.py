import io
from decimal import Decimal
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from catalog.models import Category, Product
from lmb import imports
from lmb.errors import InvalidInput
from lmb.models import ImportJob
from tests.factories import CategoryFactory, ProductFactory
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

HEADER = ["Référence", "Désignation", "Catégorie", "TVA", "Prix de vente", "Prix TTC", "EAN-13", "Poids (kg)"]


def xlsx(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("catalogue.xlsx", buffer.getvalue())


GOOD_AND_BAD = [
    ["BOL-01", "Bol breton", "Cuisine > Vaisselle", "20", "12,90", "oui", "3760123456784", "0,35"],
    ["BOL-02", "", "Cuisine > Vaisselle", "20", "12,90", "oui", "", ""],  # row 3: no designation
    ["BOL-03", "Bol à café", "Cuisine > Vaisselle", "19,6", "8", "oui", "", ""],  # row 4: unknown VAT rate
    ["BOL-04", "Bol géant", "", "5,5", "douze", "non", "", ""],  # row 5: price is not a number
    ["BOL-05", "Bol à soupe", "", "10", "6", "non", "3760123456787", ""],  # row 6: bad EAN check digit
    ["BOL-01", "Doublon", "", "20", "6", "non", "", ""],  # row 7: reference repeated in the file
    ["TH-01", "Thé noir", "Épicerie > Thés", "5,5", "7,50", "oui", "", ""],
]


def test_preview_lists_every_bad_row_and_writes_nothing(admin_user):
    job = imports.preview_import(kind="products", uploaded_file=xlsx(GOOD_AND_BAD), user=admin_user)
    assert not Product.objects.exists() and not Category.objects.exists()
    errors = {(e["row"], e["column"]) for e in job.errors}
    assert errors == {(3, "Désignation"), (4, "TVA"), (5, "Prix de vente"), (6, "EAN-13"), (7, "Référence")}
    assert job.valid_count == 2
    messages = {e["row"]: e["message"] for e in job.errors}
    assert "19,6" in messages[4] and "ligne 2" in messages[7]


def test_confirm_writes_all_valid_rows_in_one_go_and_creates_categories(admin_user):
    job = imports.preview_import(kind="products", uploaded_file=xlsx(GOOD_AND_BAD), user=admin_user)
    job = imports.confirm_import(job, user=admin_user)
    assert (job.created_count, job.updated_count) == (2, 0)
    bowl = Product.objects.get(reference="BOL-01")
    assert bowl.sale_price_incl_tax == Decimal("12.9") and bowl.sale_price_excl_tax == Decimal("10.75")
    assert bowl.category.full_name == "Cuisine > Vaisselle" and bowl.weight == Decimal("0.35")
    assert Product.objects.get(reference="TH-01").vat_rate.rate == Decimal("5.5")
    header, rows = imports.rejected_rows(job)
    assert header[-1] == "Erreurs" and [row[0] for row in rows] == [3, 4, 5, 6, 7]
    with pytest.raises(Exception, match="déjà été traité"):
        imports.confirm_import(job, user=admin_user)


def test_import_updates_a_known_reference_and_keeps_what_the_file_does_not_mention(admin_user):
    product = ProductFactory(reference="BOL-01", designation="Ancien nom", description="Garder ceci", weight=Decimal("1"))
    upload = xlsx([["BOL-01", "Nouveau nom", "20", "15"]], header=["Référence", "Désignation", "TVA", "Prix de vente"])
    job = imports.confirm_import(imports.preview_import(kind="products", uploaded_file=upload, user=admin_user), user=admin_user)
    assert (job.created_count, job.updated_count) == (0, 1)
    product.refresh_from_db()
    assert product.designation == "Nouveau nom" and product.description == "Garder ceci" and product.weight == Decimal("1")
    assert product.sale_price_excl_tax == Decimal("15")


def test_rows_that_became_invalid_since_the_preview_are_rejected_at_confirmation(admin_user):
    upload = xlsx([["BOL-01", "Bol", "", "20", "12", "non", "3760123456784", ""]])
    job = imports.preview_import(kind="products", uploaded_file=upload, user=admin_user)
    assert job.errors == []
    ProductFactory(reference="AUTRE", ean13="3760123456784")  # someone took the EAN meanwhile
    job = imports.confirm_import(job, user=admin_user)
    assert job.created_count == 0 and job.errors[0]["column"] == "EAN-13"


def test_missing_required_columns_and_unreadable_files_are_refused():
    with pytest.raises(InvalidInput, match="Désignation"):
        imports.preview_import(kind="products", uploaded_file=xlsx([["A"]], header=["Référence"]), user=None)
    with pytest.raises(InvalidInput, match=".xlsx ou .csv"):
        imports.preview_import(kind="products", uploaded_file=SimpleUploadedFile("x.pdf", b"%PDF"), user=None)


def test_csv_from_french_excel(admin_user):
    data = "Référence;Désignation;TVA;Prix de vente;Prix TTC\nCAF-01;Café moulu;5,5;6,90;oui\n".encode("cp1252")
    job = imports.preview_import(kind="products", uploaded_file=SimpleUploadedFile("cafe.csv", data), user=admin_user)
    imports.confirm_import(job, user=admin_user)
    assert Product.objects.get(reference="CAF-01").sale_price_incl_tax == Decimal("6.9")


def test_import_screens_preview_confirm_and_download_rejected_rows(admin_client):
    response = admin_client.post(reverse("import_start", args=["products"]), {"file": xlsx(GOOD_AND_BAD)})
    preview_url = response["Location"]
    page = page_text(admin_client.get(preview_url))
    assert "Lignes rejetées" in page and "Le code EAN-13 « 3760123456787 » n'est pas valide" in page
    assert not Product.objects.exists()
    job = ImportJob.objects.get()
    rejected = admin_client.get(reverse("import_rejected", args=[job.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(b"".join(rejected.streaming_content))).active
    assert sheet.max_row == 6  # header + 5 rejected rows
    admin_client.post(reverse("import_confirm", args=[job.pk]))
    assert Product.objects.count() == 2
    assert "Créées" in page_text(admin_client.get(preview_url))


def test_import_needs_the_rights_to_create_products(role_client):
    assert role_client("sales").get(reverse("import_start", args=["products"])).status_code == 403
    assert role_client("warehouse").get(reverse("import_start", args=["products"])).status_code == 200


def test_empty_cells_keep_what_an_existing_product_has(admin_user):
    """A price-update file must not turn a service into goods, drop its category or read its
    tax-included price as tax-excluded."""
    category = CategoryFactory(name="Ateliers")
    service = ProductFactory(
        reference="SA-0288",
        kind="service",
        unit="HUR",
        category=category,
        price_includes_tax=True,
        sale_price=D("28"),
        is_active=False,
    )
    header = ["Référence", "Désignation", "Nature", "Unité", "Catégorie", "TVA", "Prix de vente", "Prix TTC", "Actif"]
    upload = xlsx([["sa-0288", "Atelier crêpes", "", "", "", "", "30", "", ""]], header=header)
    job = imports.confirm_import(imports.preview_import(kind="products", uploaded_file=upload, user=admin_user), user=admin_user)
    assert (job.created_count, job.updated_count) == (0, 1)  # "sa-0288" is SA-0288
    service.refresh_from_db()
    assert (service.kind, service.unit, service.category, service.is_active) == ("service", "HUR", category, False)
    assert service.price_includes_tax and service.sale_price_incl_tax == D("30")


def test_unknown_columns_are_listed_and_the_export_headers_are_understood(admin_user, admin_client):
    header = ["Référence", "Désignation", "Taux de TVA (%)", "Prix de vente HT", "Prix promo"]
    job = imports.preview_import(
        kind="products", uploaded_file=xlsx([["X-1", "Bol", "0.2", "10", "8"]], header=header), user=admin_user
    )
    assert job.errors == [] and job.ignored_columns == ["Prix promo"]  # 0.2 is Excel's 20 % cell
    assert "Prix promo" in page_text(admin_client.get(reverse("import_preview", args=[job.pk])))
    with pytest.raises(InvalidInput, match="Aucune colonne"):
        imports.preview_import(kind="products", uploaded_file=xlsx([["a"]], header=["Foo"]), user=admin_user)


def test_someone_elses_import_is_not_reachable(admin_user, make_user, client):
    job = imports.preview_import(kind="products", uploaded_file=xlsx(GOOD_AND_BAD), user=admin_user)
    client.force_login(make_user("warehouse"))
    assert client.get(reverse("import_preview", args=[job.pk])).status_code == 404
    assert client.post(reverse("import_confirm", args=[job.pk])).status_code == 404
