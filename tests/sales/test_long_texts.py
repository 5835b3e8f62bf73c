"""A text longer than where it goes is refused naming the field, never cut to fit in silence
(issue #17, item 3): reasons kept in a document's history, a stock move's note, an API
token's name; a 10,000-character name on every edge."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm import services as crm_services
from crm.models import ThirdParty
from lmb import imports
from lmb.errors import InvalidInput
from lmb.models import ApiToken
from sales import services
from sales.models import DocumentEvent, Order, Quote
from stock import services as stock_services
from stock.models import StockMove
from tests.crm.test_views import customer_form
from tests.helpers import page_text

pytestmark = pytest.mark.django_db

LONG = "x" * 10_000


def _too_long(error, length="10 000", most="255"):
    message = " ".join(" ".join(messages) for messages in error.value.errors.values()).replace("\u202f", " ")
    assert f"{length} caractères" in message and f"{most} au plus" in message, message


def test_a_refused_quote_reason_too_long_is_refused_not_cut(shop):
    quote = services.send_quote(
        services.create_quote(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 1}])
    )
    with pytest.raises(InvalidInput) as error:
        services.refuse_quote(quote, reason=LONG)
    _too_long(error)
    assert "reason" in error.value.errors
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT and not DocumentEvent.objects.filter(action="refused").exists()


def test_a_cancelled_order_reason_too_long_is_refused_not_cut(shop):
    order = services.create_order(customer=shop.bakery, channel=shop.b2b, lines=[{"product": shop.mug, "quantity": 1}])
    with pytest.raises(InvalidInput) as error:
        services.cancel_order(order, reason=LONG)
    _too_long(error)
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT


def test_a_stock_exit_note_too_long_is_refused_not_cut(shop):
    with pytest.raises(InvalidInput) as error:
        stock_services.exit_stock(product=shop.mug, warehouse=shop.warehouse, quantity=1, reason="breakage", note=LONG)
    _too_long(error)
    assert "note" in error.value.errors and not StockMove.objects.filter(kind=StockMove.Kind.EXIT).exists()


def test_an_api_token_name_too_long_is_refused_not_cut(admin_client):
    response = admin_client.post(reverse("account"), {"name": "n" * 150}, follow=True)
    assert "Nom du jeton" in page_text(response) and "100 caractères" in page_text(response)
    assert not ApiToken.objects.exists()


# --- A 10,000-character name on every edge --------------------------------------------------------


def test_a_long_name_is_refused_by_the_form(admin_client):
    response = admin_client.post(reverse("crm:thirdparty_create"), customer_form(name=LONG))
    assert response.status_code == 200 and 'data-error-for="name"' in page_text(response)
    assert not ThirdParty.objects.exists()


def test_a_long_name_is_refused_by_the_api(api_client):
    response = api_client().post("/api/v1/third-parties/", {"name": LONG}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert not ThirdParty.objects.exists()


def test_a_long_name_is_refused_by_the_service():
    with pytest.raises(InvalidInput) as error:
        crm_services.create_third_party(name=LONG)
    assert "name" in error.value.errors and not ThirdParty.objects.exists()


def test_a_long_name_is_refused_by_the_import(admin_user):
    rows = f"Nom\n{LONG}\nCourt\n"
    job = imports.preview_import(kind="third-parties", uploaded_file=SimpleUploadedFile("t.csv", rows.encode()), user=admin_user)
    assert {(error["row"], error["column"]) for error in job.errors} == {(2, "Nom")}, job.errors
