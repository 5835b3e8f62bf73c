"""The operator commands: add a shop, sync it; and the sales channel a shop sells through."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from connectors.prestashop.models import ShopChannel
from lmb.errors import Conflict
from sales.models import Channel, Order
from sales.services.channels import create_channel
from tests.connectors.prestashop_standin import API_KEY


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_add_then_sync_a_shop(standin, main_warehouse):
    output = run("prestashop_channel", "add", "--name", "Ma Boutique", "--url", standin.base_url, "--api-key", API_KEY)

    channel = ShopChannel.objects.get(name="ma-boutique")
    assert "/connectors/prestashop/ma-boutique/webhook/" in output and channel.webhook_secret in output
    assert API_KEY not in output and API_KEY not in run("prestashop_channel", "list")
    assert channel.sales_channel.kind == Channel.Kind.WEB and channel.sales_channel.prices_include_tax

    assert (
        run("prestashop_sync", "ma-boutique").strip() == "3 lues, 2 créées, 0 inchangées, 1 en erreur (voir la file des erreurs)"
    )
    assert Order.objects.filter(channel=channel.sales_channel).count() == 2
    # The next run reads from the cursor (date_upd of the last order read) only.
    assert run("prestashop_sync", "ma-boutique").startswith("1 lues, 0 créées")


def test_bad_input_is_refused_with_the_field(standin, main_warehouse):
    with pytest.raises(CommandError, match="api_key"):
        run("prestashop_channel", "add", "--name", "x", "--url", standin.base_url, "--api-key", "short")
    with pytest.raises(CommandError, match="Aucune boutique"):
        run("prestashop_sync", "nowhere")
    assert not ShopChannel.objects.exists()


def test_a_sales_channel_code_is_taken_once(db):
    create_channel(code="ps-shop", name="PrestaShop")
    assert Channel.objects.get(code="PS-SHOP").kind == Channel.Kind.WEB
    with pytest.raises(Conflict):
        create_channel(code="PS-SHOP", name="Encore")


def test_the_poll_is_scheduled_and_imports_every_active_shop(channel):
    from django_celery_beat.models import PeriodicTask

    from connectors.prestashop import tasks

    scheduled = PeriodicTask.objects.get(task="connectors.prestashop.tasks.poll_shops")
    assert scheduled.enabled and scheduled.interval.every == 5
    assert tasks.poll_shops() == {"boutique": {"read": 3, "created": 2, "failed": 1}}
    assert Order.objects.count() == 2
