"""The supplier order's PDF: what the supplier must read (their references, quantities, prices,
where to deliver), with the buyer's legal identity."""

import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from pypdf import PdfReader

from crm.models import Address
from lmb import roles
from lmb.services import save_company
from purchasing import pdfs, services
from tests.factories import ProductFactory, ThirdPartyFactory, warehouse
from tests.sales.conftest import COMPANY


@pytest.mark.django_db
def test_supplier_order_pdf_carries_the_supplier_references_and_totals(role_client):
    save_company(**COMPANY)
    supplier = ThirdPartyFactory(name="Faïencerie de Quimper", is_customer=False, is_supplier=True)
    Address.objects.create(
        third_party=supplier, kind=Address.Kind.BILLING, is_default=True, line1="2 rue Haute", postal_code="29000", city="Quimper"
    )
    bowl = ProductFactory(reference="BOL-01", designation="Bol breton prénom", purchase_price=D("4"))
    services.set_supplier_price(
        product=bowl, supplier=supplier, purchase_price=D("4.20"), supplier_reference="FQ-778", is_preferred=True
    )
    order = services.create_supplier_order(supplier=supplier, warehouse=warehouse())
    services.add_order_line(order, product=bowl, quantity=D("24"))
    order = services.send_supplier_order(order)
    response = role_client(roles.WAREHOUSE).get(reverse("purchasing:order_pdf", args=[order.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert f"Bon de commande N° {order.number}" in text
    assert "Faïencerie de Quimper 2 rue Haute 29000 Quimper" in text
    assert "FQ-778 Bol breton prénom 24 4,20" in text and "100,80 €" in text and "120,96 €" in text
    assert "SIREN 902114305" in text
    assert pdfs.supplier_order_pdf(order)[1] == response.content  # the same order, the same bytes
