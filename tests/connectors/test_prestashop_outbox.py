"""Nothing owed to or by the shop is lost when Redis is down or a worker dies: a webhook is answered
202 once its event is stored, whatever the broker's state; the same body sent again re-queues an
event still « received »; shipping records every push even with no broker; and Celery beat's
outbox sweeper sends again the events left « received » and the pushes left « pending », up to
a bound, then fails them saying why."""

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from connectors.prestashop import importer, services
from connectors.prestashop.models import Push, WebhookEvent
from lmb.models import Job
from sales import services as sales_services
from sales.models import Order
from stock import services as stock_services
from tests.factories import ProductFactory


def post_event(client, channel, body: dict):
    data = json.dumps(body).encode()
    return client.post(
        f"/connectors/prestashop/{channel.name}/webhook/",
        data=data,
        content_type="application/json",
        headers={"X-LMB-Signature": services.sign(channel.webhook_secret, data)},
    )


def event(order_id):
    return {"event": "actionValidateOrder", "id_order": order_id, "timestamp": int(time.time())}


def later(minutes):
    """A sweep run this much later than now."""
    return timezone.now() + timedelta(minutes=minutes)


@pytest.fixture
def imported(channel, shop_client, main_warehouse):
    """The shop's order 1, imported: its product COMP-0003 is stocked and bound."""
    processor = ProductFactory(reference="COMP-0003", designation="Processeur 4x3,4 GHz", sale_price=Decimal("180.00"))
    stock_services.receive(product=processor, warehouse=main_warehouse, quantity=10, unit_cost=Decimal("120.00"))
    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")
    assert outcome.status == "created", outcome.error
    return Order.objects.get(pk=outcome.order_id)


def test_a_webhook_while_the_broker_is_down_is_answered_202_and_its_event_handled_once_it_is_back(
    client, channel, broker_down, django_capture_on_commit_callbacks
):
    body = event(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, channel, body)

    assert response.status_code == 202
    stored = WebhookEvent.objects.get()
    assert (stored.pk, stored.status) == (response.json()["id"], WebhookEvent.Status.RECEIVED)

    broker_down.back()
    with django_capture_on_commit_callbacks(execute=True):  # the shop sends the same body again
        again = post_event(client, channel, body)
    assert (again.status_code, again.json()["id"]) == (202, stored.pk)
    stored.refresh_from_db()
    assert stored.status == WebhookEvent.Status.PROCESSED and Order.objects.count() == 1


def test_the_same_body_of_an_event_already_handled_queues_nothing(client, channel, django_capture_on_commit_callbacks):
    body = event(1)
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, channel, body)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        again = post_event(client, channel, body)
    assert again.status_code == 202 and queued == []
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED


def test_shipping_while_the_broker_is_down_keeps_every_push_and_the_sweeper_sends_them(
    imported, standin, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = sales_services.create_delivery_note(imported)
        sales_services.ship_delivery_note(note, carrier="Colissimo", tracking_number="6A12345678901")

    # Every push owed is recorded, none sent: the tracking number and the shipped state.
    pending = dict(Push.objects.filter(status=Push.Status.PENDING, attempts=0).values_list("kind", "key"))
    assert pending.keys() >= {"tracking", "state"}
    assert standin.writes_to("order_carriers") == []

    broker_down.back()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_outbox(now=later(1)) == {"events": 0, "events_failed": 0, "pushes": 0, "pushes_failed": 0}
    with django_capture_on_commit_callbacks(execute=True):
        swept = services.sweep_outbox(now=later(6))
    assert swept["pushes"] == len(pending) and swept["pushes_failed"] == 0
    [tracking] = standin.writes_to("order_carriers")
    assert tracking["record"]["tracking_number"] == "6A12345678901"
    assert standin.records["orders"]["1"]["current_state"] == "4"
    assert not Push.objects.exclude(status=Push.Status.SENT).exists()


def test_a_push_that_failed_is_left_to_its_own_retry_then_swept(channel, imported, django_capture_on_commit_callbacks):
    push = Push.objects.create(
        channel=channel,
        kind=Push.Kind.STATE,
        key="state:1:cancelled",
        payload={"order": "1", "state": "6", "action": "cancelled"},
        attempts=2,
        attempted_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=False) as queued:
        services.sweep_outbox(now=later(10))  # its task's own retry may be on its way (up to 15 min)
    assert queued == []
    with django_capture_on_commit_callbacks(execute=True):
        swept = services.sweep_outbox(now=later(21))
    push.refresh_from_db()
    assert swept["pushes"] == 1 and push.status == Push.Status.SENT and push.attempts == 3


def test_the_sweeper_gives_up_what_kept_dying_saying_why(channel, django_capture_on_commit_callbacks):
    long_ago = timezone.now() - timedelta(minutes=10)
    dying = WebhookEvent.objects.create(channel=channel, event="order", external_id="1", body={}, attempts=3)
    push = Push.objects.create(channel=channel, kind=Push.Kind.STATE, key="state:1:shipped", payload={}, attempts=5)
    WebhookEvent.objects.filter(pk=dying.pk).update(received_at=long_ago, attempted_at=long_ago)
    Push.objects.filter(pk=push.pk).update(
        created_at=long_ago - timedelta(minutes=20), attempted_at=long_ago - timedelta(minutes=20)
    )

    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert services.sweep_outbox() == {"events": 0, "events_failed": 1, "pushes": 0, "pushes_failed": 1}

    assert queued == []
    dying.refresh_from_db()
    assert dying.status == WebhookEvent.Status.FAILED
    assert dying.error == (
        "Traitement interrompu 3 fois (le processus qui l'exécutait s'est arrêté) : "
        "la commande sera relue par le relevé périodique de la boutique."
    )
    push.refresh_from_db()
    assert push.status == Push.Status.FAILED and push.last_error.startswith("Envoi interrompu 5 fois")


def test_an_event_whose_worker_died_is_sent_again_and_handled(channel, django_capture_on_commit_callbacks):
    body = json.dumps(event(1)).encode()
    with django_capture_on_commit_callbacks(execute=False):
        stored = services.receive_webhook(channel=channel, body=body, signature=services.sign(channel.webhook_secret, body))
    WebhookEvent.objects.filter(pk=stored.pk).update(attempts=1, attempted_at=timezone.now())  # its run died there
    with django_capture_on_commit_callbacks(execute=False) as queued:
        services.sweep_outbox(now=later(4))
    assert queued == []  # it may still be running
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sweep_outbox(now=later(6))["events"] == 1
    stored.refresh_from_db()
    assert (stored.status, stored.attempts) == (WebhookEvent.Status.PROCESSED, 2)


def test_sync_now_while_the_broker_is_down_opens_a_job_that_waits(
    admin_client, channel, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/connectors/prestashop/{channel.pk}/sync/")
    job = Job.objects.get(kind="prestashop_sync")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert job.status == Job.Status.PENDING and "ne répond pas" in job.message


@pytest.mark.django_db
def test_beat_sweeps_the_outbox_every_minute():
    sweeper = PeriodicTask.objects.get(task="connectors.prestashop.tasks.sweep_outbox")
    assert sweeper.enabled and (sweeper.interval.every, sweeper.interval.period) == (1, "minutes")
