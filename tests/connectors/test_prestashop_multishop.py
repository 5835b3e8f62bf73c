"""Multistore PrestaShop (issue #18, item 11): a channel that targets one id_shop imports that
shop's orders only. The poll asks the webservice for them (filter[id_shop]: the id_shop parameter
sets the shop context, it does not restrict a list of orders); an order of another shop that still
arrives (a webhook of a module shared by the shops, a retry) is skipped with the reason kept, not
imported, and not put in the error queue — it is the other shop's channel's to import."""

import copy

from connectors.prestashop import importer, services
from connectors.prestashop.models import ImportIssue, ShopChannel, SyncRun, WebhookEvent
from sales.models import Order
from tests.connectors.prestashop_standin import derived
from tests.connectors.test_prestashop_webhook import event, post_event


def _targeting_shop_1(channel) -> ShopChannel:
    ShopChannel.objects.filter(pk=channel.pk).update(id_shop=1)
    return ShopChannel.objects.get(pk=channel.pk)


def _order_6_of_shop_2(standin):
    standin.put_record("orders", derived(standin.records["orders"]["6"], id_shop=2))


def test_the_poll_asks_for_the_channels_shop_and_imports_its_orders_only(channel, standin):
    channel = _targeting_shop_1(channel)
    _order_6_of_shop_2(standin)

    run = services.sync_channel(channel)

    assert (run.status, run.read, run.created, run.failed, run.skipped) == (SyncRun.Status.DONE, 2, 1, 1, 0)
    lists = [params for method, path, params in standin.requests if path == "orders" and method == "GET"]
    assert lists and all(params.get("filter[id_shop]") == "[1]" for params in lists)
    assert list(Order.objects.values_list("customer_reference", flat=True)) == ["IMCVKMUCP"]


def test_an_order_of_another_shop_in_a_page_is_skipped_and_counted(channel, standin, shop_client):
    """A shop that ignored the filter: the page path skips it too, with the reason."""
    channel = _targeting_shop_1(channel)
    _order_6_of_shop_2(standin)
    payloads = [copy.deepcopy(standin.records["orders"][key]) for key in ("1", "6")]

    outcomes = importer.import_page(channel=channel, client=shop_client, payloads=payloads)

    assert [outcome.status for outcome in outcomes] == ["created", "skipped"]
    assert "id_shop 2" in outcomes[1].error and "non importée ici" in outcomes[1].error
    assert Order.objects.count() == 1 and not ImportIssue.objects.exists()


def test_a_webhook_for_another_shops_order_is_handled_with_the_reason_and_imports_nothing(
    client, channel, standin, django_capture_on_commit_callbacks
):
    channel = _targeting_shop_1(channel)
    _order_6_of_shop_2(standin)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, channel, event(6))

    assert response.status_code == 202
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.Status.PROCESSED and "id_shop 2" in stored.error
    assert not Order.objects.exists() and not ImportIssue.objects.exists()


def test_an_order_without_id_shop_is_refused_when_the_channel_targets_a_shop(channel, standin, shop_client):
    channel = _targeting_shop_1(channel)
    order = copy.deepcopy(standin.records["orders"]["1"])
    del order["id_shop"]
    standin.put_record("orders", order)

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")

    assert outcome.status == "failed" and "Le champ id_shop manque" in ImportIssue.objects.get(external_id="1").error
    assert not Order.objects.exists()


def test_a_channel_without_id_shop_takes_every_order(channel, standin, shop_client):
    _order_6_of_shop_2(standin)
    assert importer.import_order(channel=channel, client=shop_client, external_id="6").status == "created"
