"""Penalties to the cent on cases computed by hand, across semesters with different rates (PAY-03..06)."""

from datetime import date
from decimal import Decimal

import pytest

from dunning import penalties

pytestmark = pytest.mark.django_db


def test_a_business_penalty_across_two_semesters_takes_each_semesters_rate_and_rounds_once():
    # 1 000,00 € due 20/06/2025, as of 15/07/2025:
    #   21–30 June, 10 days at 3,15 + 10 = 13,15 %: 1000 × 0,1315 × 10 / 365 = 3,60274
    #   1–15 July, 15 days at 2,15 + 10 = 12,15 %: 1000 × 0,1215 × 15 / 365 = 4,99315
    #   8,59589 → 8,60 € (rounded per semester it would be 8,59 €)
    amount = penalties.penalty(
        amount=Decimal("1000.00"), due_date=date(2025, 6, 20), as_of=date(2025, 7, 15), category="business"
    )
    assert amount == Decimal("8.60")


def test_across_the_new_year():
    # 2 400,00 € due 01/12/2024, as of 31/01/2025:
    #   2–31 December, 30 days at 4,25 + 10 = 14,25 %: 2400 × 0,1425 × 30 / 365 = 28,10959
    #   1–31 January, 31 days at 3,15 + 10 = 13,15 %: 2400 × 0,1315 × 31 / 365 = 26,80438
    #   54,91397 → 54,91 €
    amount = penalties.penalty(
        amount=Decimal("2400.00"), due_date=date(2024, 12, 1), as_of=date(2025, 1, 31), category="business"
    )
    assert amount == Decimal("54.91")


def test_a_public_buyer_owes_moratory_interest_at_the_ecb_rate_plus_8_points():
    # Same as the first case at 11,15 % then 10,15 %: 3,05479 + 4,17123 = 7,22603 → 7,23 €
    amount = penalties.penalty(amount=Decimal("1000.00"), due_date=date(2025, 6, 20), as_of=date(2025, 7, 15), category="public")
    assert amount == Decimal("7.23")


def test_nothing_on_the_due_date_itself_one_day_after():
    args = {"amount": Decimal("365.00"), "due_date": date(2026, 3, 10), "category": "business"}
    assert penalties.penalty(**args, as_of=date(2026, 3, 10)) == 0
    # one day at 2,15 + 10 = 12,15 %: 365 × 0,1215 / 365 = 0,1215 → 0,12 €
    assert penalties.penalty(**args, as_of=date(2026, 3, 11)) == Decimal("0.12")


def test_no_penalty_nor_indemnity_for_a_consumer_nor_under_insolvency():
    args = {"amount": Decimal("1000.00"), "due_date": date(2025, 6, 20), "as_of": date(2025, 7, 15)}
    assert penalties.penalty(**args, category="consumer") == 0
    assert penalties.indemnity(category="consumer", invoice_date=date(2025, 5, 20)) == 0
    assert penalties.indemnity(category="business", invoice_date=date(2025, 5, 20)) == Decimal("40.00")
    assert penalties.indemnity(category="public", invoice_date=date(2025, 5, 20)) == Decimal("40.00")
    # Judgment on 1 July 2025: the claim of May is frozen; one born after it is not.
    judged = date(2025, 7, 1)
    assert penalties.penalty(**args, category="business", invoice_date=date(2025, 5, 20), insolvency_date=judged) == 0
    assert penalties.indemnity(category="business", invoice_date=date(2025, 5, 20), insolvency_date=judged) == 0
    assert penalties.indemnity(category="business", invoice_date=date(2025, 7, 2), insolvency_date=judged) == Decimal("40.00")


def test_a_semester_without_its_rate_takes_the_previous_ones_and_none_before_the_first():
    rates = penalties.Rates()
    assert rates.on(date(2026, 11, 30)).start == date(2026, 1, 1)
    with pytest.raises(Exception, match="Aucun taux"):
        rates.on(date(2023, 12, 31))
