"""The signed webhook, the tasks behind it, the shop's errors and the client's retries, and the
same order arriving ten times at once with a poll: one order."""

import json
import threading
import time

import pytest
from django.db import connection

from connectors.prestashop import importer, services
from connectors.prestashop.client import AuthenticationFailed, NotFound, Unreachable, WebserviceClient
from connectors.prestashop.models import Binding, ImportIssue, WebhookEvent
from sales.models import Order
from tests.connectors.prestashop_standin import API_KEY


def post_event(client, channel, body: dict, *, secret=None, raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    signature = services.sign(secret or channel.webhook_secret, data)
    return client.post(
        f"/connectors/prestashop/{channel.name}/webhook/",
        data=data,
        content_type="application/json",
        headers={"X-LMB-Signature": signature},
    )


def event(order_id, *, at=None):
    return {"event": "actionValidateOrder", "id_order": order_id, "timestamp": int(at or time.time())}


def test_a_signed_event_is_stored_answered_202_and_its_order_imported(client, channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, channel, event(1))

    assert response.status_code == 202
    stored = WebhookEvent.objects.get()
    assert (stored.external_id, stored.status) == ("1", WebhookEvent.Status.PROCESSED)
    assert Binding.objects.filter(kind="order", external_id="1").count() == 1 and Order.objects.count() == 1


@pytest.mark.parametrize(
    ("secret", "at", "status"),
    [("not-the-secret", None, 401), (None, time.time() - 3600, 403), (None, time.time() + 3600, 403)],
    ids=["bad signature", "old timestamp", "future timestamp"],
)
def test_a_bad_signature_or_a_stale_timestamp_is_refused_and_nothing_stored(client, channel, secret, at, status):
    response = post_event(client, channel, event(1, at=at), secret=secret)
    assert response.status_code == status
    assert not WebhookEvent.objects.exists() and not Order.objects.exists()


def test_the_same_signed_body_replayed_is_stored_once(client, channel, django_capture_on_commit_callbacks):
    body = event(1)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first, again = post_event(client, channel, body), post_event(client, channel, body)
    assert (first.status_code, again.status_code) == (202, 202) and first.json()["id"] == again.json()["id"]
    # Stored once; not handled yet, its processing is queued again (its first message may be lost).
    assert WebhookEvent.objects.count() == 1 and len(queued) == 2


def test_an_unknown_shop_or_a_get_is_refused(client, channel):
    assert post_event(client, channel, event(1)).status_code != 404  # the real one answers
    assert client.post("/connectors/prestashop/nowhere/webhook/", data=b"{}", content_type="application/json").status_code == 404
    assert client.get(f"/connectors/prestashop/{channel.name}/webhook/").status_code == 405


def test_the_key_goes_in_basic_auth_and_is_never_shown_in_full(channel, standin):
    assert channel.api_key == API_KEY and API_KEY not in channel.api_key_sealed
    assert channel.api_key_display == "…" + API_KEY[-4:]
    wrong = WebserviceClient(base_url=standin.base_url, api_key="WRONGKEYWRONGKEYWRONGKEYWRONGKEY", attempts=1)
    with pytest.raises(AuthenticationFailed) as refused:
        wrong.get("orders", 1)
    assert refused.value.status == 401 and refused.value.errors[0].code == "18"


def test_404_carries_prestashops_error_code(shop_client):
    with pytest.raises(NotFound) as missing:
        shop_client.get("orders", 999)
    assert "code 87" in str(missing.value)


def test_lists_page_with_limit_and_filter_dates_with_date_1(shop_client, standin):
    records = list(shop_client.list("orders", filters={"date_upd": "[2018-01-01 00:00:00,2021-01-01 00:00:00]"}, page_size=1))
    assert [importer.text(record, "id") for record in records] == ["1", "6"]
    lists = [params for method, path, params in standin.requests if path == "orders"]
    assert [params["limit"] for params in lists] == ["0,1", "1,1", "2,1"]
    assert all(params["date"] == "1" and params["output_format"] == "JSON" for params in lists)
    assert list(shop_client.list("orders", filters={"id": "[424242]"})) == []  # an empty list comes back as []


def test_5xx_and_timeouts_are_retried(shop_client, standin):
    standin.inject("orders/1", 500, times=1)
    standin.inject("orders/1", "drop", times=1)
    assert importer.text(shop_client.get("orders", 1), "reference") == "IMCVKMUCP"
    standin.inject("orders/1", "hang", times=1)
    assert importer.text(shop_client.get("orders", 1), "reference") == "IMCVKMUCP"
    assert [path for method, path, _ in standin.requests].count("orders/1") == 5


def test_a_shop_that_keeps_failing_is_surfaced(channel, standin, django_capture_on_commit_callbacks, client):
    standin.inject("orders/1", 503, times=100)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert post_event(client, channel, event(1)).status_code == 202
    stored = WebhookEvent.objects.get()
    with pytest.raises(Unreachable, match="HTTP 503"):
        services.process_webhook_event(stored)
    stored.refresh_from_db()
    assert stored.status == WebhookEvent.Status.FAILED and "après 3 tentative(s)" in stored.error
    assert ImportIssue.objects.get(external_id="1").status == ImportIssue.Status.OPEN
    assert len(callbacks) == 1 and not Order.objects.exists()


def test_urls_come_from_the_channel_never_from_a_payloads_xlink(channel, standin):
    services.sync_channel(channel)
    # The fixtures' xlinks name 192.168.1.23, testa.com, example.com: the stand-in saw every call.
    assert {path.split("/")[0] for _method, path, _params in standin.requests} <= {
        "orders",
        "customers",
        "addresses",
        "countries",
        "messages",
        "languages",
        "products",
        "combinations",
        "product_option_values",
        "product_options",
    }
    # One list; the customers, the addresses, and the messages of the page's 3 orders, one list
    # each (order 114, refused, goes alone with what was read for it); 2 countries (FR, ES); for
    # the products LMB does not know yet: the languages once, 4 products, order 6's combination,
    # its option value and its option.
    assert len(standin.requests) == 1 + 1 + 1 + 1 + 2 + 1 + 4 + 1 + 1 + 1


@pytest.mark.django_db(transaction=True)
def test_ten_webhooks_and_a_poll_at_once_make_one_order(channel, standin):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is a PostgreSQL matter; SQLite serialises writers")
    standin.records["orders"] = {"1": standin.records["orders"]["1"]}  # the poll reads this order only
    events = [
        WebhookEvent.objects.create(channel=channel, event="actionValidateOrder", external_id="1", body={}) for _ in range(10)
    ]
    start, outcomes = threading.Barrier(11), []

    def run(work):
        try:
            start.wait(timeout=30)
            outcomes.append(work())
        except Exception as exc:  # reported below: a failure in a thread fails the test
            outcomes.append(repr(exc))
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(lambda e=e: services.process_webhook_event(e).status,)) for e in events]
    workers.append(threading.Thread(target=run, args=(lambda: services.sync_channel(channel).created,)))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert outcomes.count("created") + outcomes.count(1) == 1, outcomes  # one import created it, by webhook or poll
    assert all(outcome in ("created", "unchanged", 0, 1) for outcome in outcomes), outcomes
    assert Binding.objects.filter(kind="order", external_id="1").count() == 1
    assert Order.objects.filter(customer_reference="IMCVKMUCP").count() == 1
    assert Binding.objects.filter(kind="customer", external_id="25").count() == 1


@pytest.mark.django_db(transaction=True)
def test_identical_bodies_posted_at_the_same_instant_are_stored_once(channel, monkeypatch):
    """Issue #18, item 12: the shop's module (or a proxy) posting the same body twice at once gives
    one event — a unique key on the body's hash per shop, not a look-up that both requests pass."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is a PostgreSQL matter; SQLite serialises writers")
    from tests.connectors.test_prestashop_pages import at_once

    queued = []
    monkeypatch.setattr(services, "_queue_on_commit", lambda name, *args: queued.append(args))
    for order_id in (1, 6, 114):  # a few rounds: the threads interleave differently each time
        raw = json.dumps(event(order_id)).encode()
        signature = services.sign(channel.webhook_secret, raw)

        def receive(raw=raw, signature=signature):
            shop = type(channel).objects.get(pk=channel.pk)
            return services.receive_webhook(channel=shop, body=raw, signature=signature).pk

        results = at_once(*[receive] * 8)
        assert all(isinstance(result, int) for result in results), results
        assert len(set(results)) == 1
        assert WebhookEvent.objects.filter(external_id=str(order_id)).count() == 1
    assert set(queued) == set(WebhookEvent.objects.values_list("pk").order_by())


def test_an_event_stored_before_bodies_were_hashed_does_not_stop_new_ones(client, channel, django_capture_on_commit_callbacks):
    WebhookEvent.objects.create(channel=channel, event="actionValidateOrder", external_id="1", body=event(1))
    WebhookEvent.objects.create(channel=channel, event="actionValidateOrder", external_id="6", body=event(6))
    with django_capture_on_commit_callbacks(execute=False):
        response = post_event(client, channel, event(1, at=time.time() + 1))
    assert response.status_code == 202 and WebhookEvent.objects.count() == 3
