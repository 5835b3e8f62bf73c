"""The daily run of reminders: the ladder's dates per customer type, what is not chased, the
penalties and 40 € shown, idempotence, and the transitions of a reminder."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from crm.models import TimelineEntry
from dunning import services
from dunning.models import CustomerDunning, PenaltyRate, Reminder, ReminderPlan
from lmb.errors import InvalidInput, TransitionNotAllowed
from sales import services as sales
from sales.models import CreditNote
from tests.dunning.conftest import invoice, on, pay
from tests.sales.conftest import customer

pytestmark = pytest.mark.django_db


def run(day):
    with on(day):
        return services.run_reminders(on=day)


def validate(reminder, day):
    with on(day):
        return services.validate_reminder(reminder)


def automatic(shop):
    shop.company.send_reminders_automatically = True
    shop.company.save()


def test_business_ladder_r2_counts_from_r1s_real_sending_day(shop, business):
    bill = invoice(shop, business, date(2026, 1, 5))  # 120 € due 04/02/2026
    assert run(date(2026, 2, 8)) == []  # D+4
    [r1] = run(date(2026, 2, 9))  # D+5
    assert (r1.position, r1.status, r1.amount_due, r1.penalties, r1.indemnity) == (1, "to_validate", Decimal("120.00"), 0, 0)
    assert [(item.invoice_id, item.days_late) for item in r1.items.all()] == [(bill.pk, 5)]
    assert run(date(2026, 2, 20)) == []  # R1 waits for validation: the ladder waits
    validate(r1, date(2026, 2, 12))  # sent three days late
    assert run(date(2026, 2, 21)) == []  # R1's run + 10 would be 19/02, its sending + 10 is 22/02
    [r2] = run(date(2026, 2, 22))
    assert (r2.position, r2.run_date) == (2, date(2026, 2, 22))
    # 120 € late 18 days at 2,15 + 10 %: 120 × 0,1215 × 18 / 365 = 0,719 → 0,72 €; and 40 €.
    assert (r2.penalties, r2.indemnity, r2.total) == (Decimal("0.72"), Decimal("40.00"), Decimal("160.72"))
    assert "0,72" in r2.body and "40,00" in r2.body and "12/02/2026" in r2.body


def test_a_late_run_catches_up_one_step_at_a_time(shop, business):
    automatic(shop)
    invoice(shop, business, date(2026, 1, 5))
    [r1] = run(date(2026, 3, 30))  # the run did not happen for weeks: R1 only, sent today
    assert (r1.position, r1.status) == (1, "sent")
    assert run(date(2026, 3, 30)) == []  # run again: nothing more
    assert run(date(2026, 4, 8)) == []
    [r2] = run(date(2026, 4, 9))  # 30/03 + 10
    [r3] = run(date(2026, 4, 19))
    assert (r2.position, r3.position, r3.channel, r3.payment_deadline) == (2, 3, "registered_letter", date(2026, 4, 27))
    assert "mettons en demeure" in r3.body and "09/04/2026" in r3.body
    assert run(date(2026, 6, 1)) == []  # the plan is over
    # The bakery has no e-mail address: its e-mail steps left by post, each letter on the timeline.
    assert [r.channel for r in (r1, r2)] == ["letter", "letter"]
    assert TimelineEntry.objects.filter(third_party=business, kind="letter").count() == 3


def test_consumer_ladder_shows_neither_penalties_nor_the_40_euros(shop, consumer):
    automatic(shop)
    invoice(shop, consumer, date(2026, 1, 5), channel=shop.phone)  # due 04/02
    assert run(date(2026, 2, 10)) == []
    [r1] = run(date(2026, 2, 11))  # D+7
    [r2] = run(date(2026, 2, 25))  # +14
    [r3] = run(date(2026, 3, 11))  # +14
    assert [r.position for r in (r1, r2, r3)] == [1, 2, 3]
    assert all(item.indemnity == 0 and item.penalty == 0 for item in r3.items.all())
    assert (r3.penalties, r3.indemnity, r3.total) == (0, 0, r3.amount_due)


def test_public_buyer_ladder_with_moratory_interest(shop, public_buyer):
    automatic(shop)
    invoice(shop, public_buyer, date(2026, 1, 5))
    [r1] = run(date(2026, 2, 9))  # D+5 after the 30-day legal delay
    assert run(date(2026, 2, 23)) == []
    [r2] = run(date(2026, 2, 24))  # +15
    # 120 € late 20 days at 2,15 + 8 %: 120 × 0,1015 × 20 / 365 = 0,667 → 0,67 €
    assert (r2.penalties, r2.indemnity) == (Decimal("0.67"), Decimal("40.00"))


def test_installments_are_each_late_on_their_own(shop, business):
    invoice(
        shop, business, date(2026, 1, 5), net="500.00", installments=[(date(2026, 1, 31), "300.00"), (date(2026, 3, 2), "300.00")]
    )
    [r1] = run(date(2026, 2, 5))
    assert [(item.due_date, item.amount_due) for item in r1.items.all()] == [(date(2026, 1, 31), Decimal("300.00"))]
    validate(r1, date(2026, 2, 5))
    [r2] = run(date(2026, 3, 10))
    assert [(item.due_date, item.days_late) for item in r2.items.all()] == [(date(2026, 1, 31), 38), (date(2026, 3, 2), 8)]
    assert r2.indemnity == Decimal("40.00")  # one invoice, one indemnity


def test_paid_credited_disputed_promised_and_insolvent_claims_are_not_chased(shop, business, consumer):
    paid = invoice(shop, business, date(2026, 1, 5))
    credited = invoice(shop, business, date(2026, 1, 5))
    disputed = invoice(shop, business, date(2026, 1, 5))
    promised = invoice(shop, consumer, date(2026, 1, 5), channel=shop.phone)
    insolvent = customer("Menuiserie en redressement")
    before = invoice(shop, insolvent, date(2026, 1, 5))
    other = customer("Ne pas relancer SARL")
    invoice(shop, other, date(2026, 1, 5))
    pay(paid, date(2026, 2, 6))
    with on(date(2026, 2, 6)):
        note = sales.create_credit_note(credited, reason="Erreur", settlement=CreditNote.Settlement.BALANCE)
        sales.issue_credit_note(note, issue_date=date(2026, 2, 6))
        services.set_dispute(invoice=disputed, reason="Marchandise abîmée")
        services.set_promise(customer=consumer, promise_date=date(2026, 3, 1), amount="120.00")
        services.set_insolvency(customer=insolvent, judgment_date=date(2026, 1, 20))
        services.set_customer_dunning(customer=other, do_not_remind=True)
    assert run(date(2026, 2, 20)) == []
    assert Reminder.objects.count() == 0
    # A claim born after the judgment is chased, with the 40 €.
    after = invoice(shop, insolvent, date(2026, 2, 20), installments=[(date(2026, 2, 20), "120.00")])
    [reminder] = run(date(2026, 2, 25))
    assert [item.invoice_id for item in reminder.items.all()] == [after.pk] and before.pk != after.pk
    # The promise kept the consumer waiting until the promised day, then the plan goes on.
    assert [r.customer_id for r in run(date(2026, 3, 2))] == [promised.customer_id]
    # The dispute is over: the invoice is chased again.
    with on(date(2026, 3, 3)):
        services.resolve_dispute(invoice=disputed)
    [again] = run(date(2026, 3, 3))
    assert [item.invoice_id for item in again.items.all()] == [disputed.pk]


def test_a_new_ladder_starts_once_everything_chased_is_paid(shop, business):
    automatic(shop)
    first = invoice(shop, business, date(2026, 1, 5))
    [r1] = run(date(2026, 2, 9))
    pay(first, date(2026, 2, 12))
    invoice(shop, business, date(2026, 2, 13))  # due 15/03
    assert run(date(2026, 3, 19)) == []
    [again] = run(date(2026, 3, 20))  # R1 again, of a second ladder
    assert (again.position, again.ladder, r1.ladder) == (1, 2, 1)


def test_cancelling_skips_the_step_and_transitions_are_checked(shop, business):
    invoice(shop, business, date(2026, 1, 5))
    [r1] = run(date(2026, 2, 9))
    with on(date(2026, 2, 9)), pytest.raises(InvalidInput, match="Motif d'annulation"):
        services.cancel_reminder(r1, reason=" ")
    with on(date(2026, 2, 9)):
        services.cancel_reminder(r1, reason="Client appelé, paiement en cours")
    with pytest.raises(TransitionNotAllowed):
        validate(r1, date(2026, 2, 10))
    [r2] = run(date(2026, 2, 19))
    assert r2.position == 2
    assert not TimelineEntry.objects.filter(third_party=business).exists()  # nothing sent yet


def test_bad_input_is_refused_in_french_naming_the_field(shop, business):
    plan = ReminderPlan.objects.get(customer_category="business")
    with pytest.raises(InvalidInput) as refused:
        services.save_step(plan=plan, position=1, delay_days=-3)
    assert refused.value.field == "delay_days" and "négatif" in refused.value.message
    with pytest.raises(InvalidInput) as refused:
        services.save_step(plan=plan, position=1, body="Bonjour {client}")
    assert refused.value.field == "body"
    with on(date(2026, 2, 10)), pytest.raises(InvalidInput) as refused:
        services.set_promise(customer=business, promise_date=date(2026, 2, 9))
    assert refused.value.field == "promise_date" and "passé" in refused.value.message
    with pytest.raises(InvalidInput) as refused:  # 2,15 + 5 = 7,15 % < 3 × 2,62 = 7,86 %
        services.set_penalty_rate(start=date(2026, 1, 1), ecb_rate="2.15", legal_interest_rate="2.62", points="5")
    assert refused.value.field == "points" and "7,86" in refused.value.message
    assert PenaltyRate.objects.get(start=date(2026, 1, 1)).points == 10  # nothing changed
    rate = services.set_penalty_rate(start=date(2026, 7, 1), ecb_rate="2.15", legal_interest_rate="2.62", points="6")
    assert rate.business_rate == Decimal("8.150")


def test_the_run_works_in_batches_its_statements_do_not_grow_with_customers(
    shop, business, django_assert_max_num_queries, monkeypatch
):
    """Customers decided, locked and written per batch: the statements of a run depend on the
    number of batches, not of customers."""
    monkeypatch.setattr(services, "BATCH", 3)
    for n in range(7):  # three batches: 3 + 3 + 1
        invoice(shop, customer(f"Client {n}"), date(2026, 1, 5))
    with django_assert_max_num_queries(45):
        made = run(date(2026, 2, 9))
    assert sorted(r.position for r in made) == [1] * 7 and all(r.pk and r.items.count() == 1 for r in made)
    assert run(date(2026, 2, 9)) == []  # idempotent


def test_a_reminder_made_meanwhile_is_skipped_and_the_rest_of_the_batch_is_made(shop, business, monkeypatch):
    """The unique step of the ladder is the backstop: if a reminder was made meanwhile despite the
    lock (here: the ladder read under the lock is made to miss it), the batch's other reminders
    are still made and the existing one is not duplicated."""
    other = customer("Crêperie Ty Breizh")
    invoice(shop, business, date(2026, 1, 5))
    [first] = run(date(2026, 2, 9))
    invoice(shop, other, date(2026, 1, 6))
    CustomerDunning.objects.filter(customer=business).update(ladder=0)
    monkeypatch.setattr(services, "_current_ladders", lambda customer_ids=None: (defaultdict(list), defaultdict(set)))
    made = run(date(2026, 2, 10))
    assert [r.customer_id for r in made] == [other.pk]
    assert Reminder.objects.filter(customer=business).get() == first
    assert [r.items.count() for r in made] == [1]
