"""The seeded plans and rates (fr-rules §6, PAY-03) and the constraints that keep dunning data right."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError

from dunning.models import PenaltyRate, ReminderPlan

pytestmark = pytest.mark.django_db


def _ladder(category):
    plan = ReminderPlan.objects.get(customer_category=category)
    return [(s.delay_days, s.channel, s.show_penalties, s.show_indemnity) for s in plan.steps.order_by("position")]


def test_the_default_plans_follow_the_ladder_of_fr_rules_section_6():
    consumer = [(7, "email", False, False), (14, "letter", False, False), (14, "registered_letter", False, False)]
    assert _ladder("consumer") == consumer
    assert _ladder("business") == [(5, "email", False, False), (10, "email", True, True), (10, "registered_letter", True, True)]
    assert _ladder("public") == [(5, "email", False, False), (15, "letter", True, True), (15, "registered_letter", True, True)]


def test_the_rates_of_each_semester_are_seeded_with_their_legal_floor():
    rates = {rate.start: rate for rate in PenaltyRate.objects.all()}
    assert rates[date(2025, 1, 1)].business_rate == Decimal("13.150")
    assert rates[date(2025, 7, 1)].public_rate == Decimal("10.150")
    assert rates[date(2026, 1, 1)].legal_floor == Decimal("7.860")


def test_a_rate_starts_on_the_first_day_of_a_semester():
    with pytest.raises(IntegrityError):
        PenaltyRate.objects.create(start=date(2027, 3, 1), ecb_rate=Decimal("2"), legal_interest_rate=Decimal("2"))


def test_one_default_plan_per_customer_type():
    with pytest.raises(IntegrityError):
        ReminderPlan.objects.create(name="Autre", customer_category="consumer")
