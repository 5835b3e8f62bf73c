"""Penalties and the EUR 40 invoiced on demand outside the scope of VAT, or waived with a reason
(PAY-03..05): amounts to the cent on hand-computed cases, a valid Factur-X, a balanced entry on
the penalty and indemnity accounts, never the same days twice, never from a consumer, and the
« Relances » tab's button for sales staff and administrators only."""

from datetime import date
from decimal import Decimal

import lxml.html
import pytest
from django.urls import reverse

from accounting import services as accounting
from accounting.models import JournalEntry
from dunning import penalty_invoices
from dunning.models import PenaltyClaim
from lmb import roles
from lmb.errors import Conflict, InvalidInput
from sales.models import Invoice, VatCategory
from tests.dunning.conftest import invoice, on
from tests.sales.facturx_validation import assert_valid_factur_x

pytestmark = pytest.mark.django_db

DUE = date(2025, 6, 20)
CLAIM_DAY = date(2025, 7, 15)


@pytest.fixture
def late(shop, business):
    """1 200,00 € TTC (1 000,00 HT) of the bakery, due 20/06/2025, unpaid."""
    return invoice(shop, business, date(2025, 5, 21), net="1000.00", installments=[(DUE, Decimal("1200.00"))])


def claim(customer, invoices, day):
    with on(day):
        return penalty_invoices.invoice_penalties(customer=customer, invoices=invoices, on=day)


def test_penalties_and_the_indemnity_invoiced_outside_the_scope_of_vat(shop, business, late):
    # 21–30 June, 10 days at 3,15 + 10 = 13,15 %: 1200 × 0,1315 × 10 / 365 = 4,32329
    # 1–15 July, 15 days at 2,15 + 10 = 12,15 %: 1200 × 0,1215 × 15 / 365 = 5,99178
    # 10,31507 → 10,32 €, plus 40,00 € (D441-5)
    issued = claim(business, [late], CLAIM_DAY)
    assert issued.status == Invoice.Status.ISSUED and issued.number.startswith("FA2025-")
    assert (issued.total_excl_tax, issued.total_vat, issued.total_incl_tax) == (Decimal("50.32"), 0, Decimal("50.32"))
    lines = list(issued.lines.order_by("position"))
    assert [(line.net_amount, line.vat_category, line.vat_exemption_code) for line in lines] == [
        (Decimal("10.32"), VatCategory.OUT_OF_SCOPE, "VATEX-EU-O"),
        (Decimal("40.00"), VatCategory.OUT_OF_SCOPE, "VATEX-EU-O"),
    ]
    assert lines[0].description == f"Pénalités de retard sur la facture {late.number} (25 jours au taux de 12,15\u00a0%)"
    assert lines[1].description.startswith("Indemnité forfaitaire pour frais de recouvrement (C. com. L441-10, D441-5)")
    [recorded] = PenaltyClaim.objects.all()
    assert (recorded.invoice, recorded.period_start, recorded.period_end, recorded.penalty, recorded.indemnity) == (
        late,
        date(2025, 6, 21),
        CLAIM_DAY,
        Decimal("10.32"),
        Decimal("40.00"),
    )
    assert (recorded.status, recorded.penalty_invoice) == (PenaltyClaim.Status.INVOICED, issued)

    xml = assert_valid_factur_x(issued)
    assert b"<ram:CategoryCode>O</ram:CategoryCode>" in xml and b"VATEX-EU-O" in xml

    report = accounting.post_pending()
    assert report.errors == []
    entry = JournalEntry.objects.get(source_id=issued.pk, source_type__icontains="invoice")
    amounts = {line.account.number: (line.debit, line.credit) for line in entry.lines.select_related("account")}
    assert amounts == {
        "411000": (Decimal("50.32"), 0),
        "762700": (0, Decimal("10.32")),
        "758800": (0, Decimal("40.00")),
    }


def test_the_same_days_are_never_invoiced_twice_and_the_40_once(shop, business, late):
    claim(business, [late], CLAIM_DAY)
    with pytest.raises(Conflict):
        claim(business, [late], CLAIM_DAY)
    # The next claim starts on 16/07: 10 days at 12,15 %: 1200 × 0,1215 × 10 / 365 = 3,99452 → 3,99 €, no 40 €.
    later = claim(business, [late], date(2025, 7, 25))
    assert later.total_incl_tax == Decimal("3.99")
    assert later.lines.count() == 1
    assert list(PenaltyClaim.objects.order_by("period_end").values_list("period_start", "period_end")) == [
        (date(2025, 6, 21), CLAIM_DAY),
        (date(2025, 7, 16), date(2025, 7, 25)),
    ]


def test_a_consumer_owes_neither(shop, consumer):
    bill = invoice(
        shop, consumer, date(2025, 5, 21), channel=shop.phone, installments=[(DUE, Decimal("100.00"))]
    )  # phone: prices incl. VAT
    with pytest.raises(Conflict, match="particulier"):
        claim(consumer, [bill], CLAIM_DAY)
    assert penalty_invoices.claims_for(customer=consumer, on=CLAIM_DAY) == []
    assert not Invoice.objects.exclude(pk=bill.pk).exists()


def test_a_waiver_needs_its_reason_and_closes_the_days(shop, business, late):
    with pytest.raises(InvalidInput) as refused:
        penalty_invoices.waive_penalties(customer=business, invoices=[late], reason="  ", on=CLAIM_DAY)
    assert refused.value.errors == {"reason": ["Le motif de l'abandon est obligatoire."]}
    [waived] = penalty_invoices.waive_penalties(
        customer=business, invoices=[late], reason="Bon client, geste commercial", on=CLAIM_DAY
    )
    assert (waived.status, waived.penalty, waived.indemnity, waived.waived_reason) == (
        PenaltyClaim.Status.WAIVED,
        Decimal("10.32"),
        Decimal("40.00"),
        "Bon client, geste commercial",
    )
    with pytest.raises(Conflict):
        claim(business, [late], CLAIM_DAY)


def test_a_reminder_asks_only_for_the_days_not_yet_claimed_and_no_second_40(shop, business, late):
    """Waived up to 01/07/2025 (reason kept), the R2 of 05/07 shows the penalties of 2–5 July only:
    4 days at 12,15 %: 1200 × 0,1215 × 4 / 365 = 1,59781 → 1,60 €, and no 40 € (settled by the waiver)."""
    from dunning import services

    with on(date(2025, 6, 25)):
        [r1] = services.run_reminders(on=date(2025, 6, 25))
        services.validate_reminder(r1)
    penalty_invoices.waive_penalties(customer=business, invoices=[late], reason="Geste commercial", on=date(2025, 7, 1))
    with on(date(2025, 7, 5)):
        [r2] = services.run_reminders(on=date(2025, 7, 5))
    assert r2.position == 2 and r2.step.show_penalties and r2.step.show_indemnity
    [item] = r2.items.all()
    assert (item.penalty, item.indemnity) == (Decimal("1.60"), Decimal("0.00"))
    assert (r2.penalties, r2.indemnity, r2.total) == (Decimal("1.60"), Decimal("0.00"), Decimal("1201.60"))


@pytest.mark.parametrize(
    ("role", "sees_button"),
    [(roles.ADMINISTRATOR, True), (roles.SALES, True), (roles.ACCOUNTANT, False), (roles.CUSTOMER_SERVICE, False)],
)
def test_the_tab_shows_what_is_owed_and_the_button_to_sales_and_administrators(
    shop, business, late, role_client, role, sees_button
):
    client = role_client(role)
    with on(CLAIM_DAY):
        page = client.get(reverse("dunning:customer", args=[business.pk]))
    assert page.status_code == 200
    card = lxml.html.fromstring(page.content).get_element_by_id("penalties").text_content()
    assert late.number in card and "10,32" in card and "40,00" in card
    assert (b"Facturer les p" in page.content) is sees_button
    with on(CLAIM_DAY):
        posted = client.post(
            reverse("dunning:customer_penalties", args=[business.pk]), {"invoices": [late.pk], "action": "invoice"}
        )
    if sees_button:
        assert posted.status_code == 302
        assert PenaltyClaim.objects.get().penalty_invoice.total_incl_tax == Decimal("50.32")
    else:
        assert posted.status_code == 403
        assert not PenaltyClaim.objects.exists()


def test_the_tab_refuses_a_waiver_without_reason_beside_the_form(shop, business, late, role_client):
    client = role_client(roles.SALES)
    with on(CLAIM_DAY):
        page = client.post(reverse("dunning:customer_penalties", args=[business.pk]), {"invoices": [late.pk], "action": "waive"})
    assert page.status_code == 400
    assert "Le motif de l&#x27;abandon est obligatoire." in page.content.decode()
    assert not PenaltyClaim.objects.exists()


def test_penalty_lines_are_not_typed_on_other_documents():
    """An O line beside any other category breaks EN 16931 (BR-O-11..14): only dunning adds them."""
    from sales.serializers import NewLineSerializer

    for kind in ("penalty", "indemnity"):
        line = NewLineSerializer(data={"kind": kind, "description": "Pénalités", "unit_price": "10"})
        assert not line.is_valid() and "kind" in line.errors
