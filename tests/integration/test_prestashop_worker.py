"""The PrestaShop connector with a real Celery worker on Redis: a signed webhook comes in, the
worker imports the order from the stand-in shop; LMB ships it, the worker pushes the tracking
number and the shipped state back to the shop."""

import json
import threading
import time
from decimal import Decimal

import pytest
from celery.signals import task_postrun

from connectors.prestashop import services
from connectors.prestashop.models import Binding, Push
from lmb.celery import app
from lmb.services import save_company
from sales import services as sales_services
from sales.models import Order
from stock import services as stock_services
from tests.connectors.prestashop_standin import API_KEY, StandinShop
from tests.factories import ProductFactory, warehouse
from tests.integration.test_workers import REDIS_URL, TIMEOUT, celery_worker  # noqa: F401 (the worker fixture)
from tests.sales.conftest import COMPANY

pytestmark = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is empty: the worker tests need a Redis broker")


def wait_for(condition, what):
    """Poll the database (the worker writes from its own connection) until ``condition()`` holds."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{what}: not done after {TIMEOUT} s")


@pytest.mark.django_db(transaction=True)
def test_webhook_to_order_to_delivery_to_tracking_on_the_shop(celery_worker, client, settings):  # noqa: F811
    settings.PRESTASHOP_CLIENT = {"backoff": 0, "timeout": (2, 5), "attempts": 3}
    save_company(**COMPANY)
    main = warehouse()
    processor = ProductFactory(reference="COMP-0003", designation="Processeur", sale_price=Decimal("180.00"))
    stock_services.receive(product=processor, warehouse=main, quantity=3, unit_cost=Decimal("100.00"))
    runs = []

    def record(sender, task_id, task, args, **kwargs):
        runs.append((task.name, task.request.is_eager, threading.get_ident()))

    task_postrun.connect(record, weak=False)
    with StandinShop() as shop:
        channel, secret = services.add_channel(name="boutique", base_url=shop.base_url, api_key=API_KEY, warehouse=main)
        try:
            body = json.dumps({"event": "actionValidateOrder", "id_order": 1, "timestamp": int(time.time())}).encode()
            response = client.post(
                "/connectors/prestashop/boutique/webhook/",
                data=body,
                content_type="application/json",
                headers={"X-LMB-Signature": services.sign(secret, body)},
            )
            assert response.status_code == 202
            wait_for(lambda: Binding.objects.filter(kind="order", external_id="1").exists(), "order imported")

            order = Order.objects.get(customer_reference="IMCVKMUCP")
            assert order.status == Order.Status.CONFIRMED and order.total_incl_tax == Decimal("180.00")
            note = sales_services.create_delivery_note(order)
            sales_services.ship_delivery_note(note, carrier="Colissimo", tracking_number="8R00112233445")
            wait_for(lambda: Push.objects.filter(kind="tracking", status=Push.Status.SENT).exists(), "tracking pushed")
            wait_for(lambda: shop.writes_to("order_histories"), "shipped state pushed")
        finally:
            task_postrun.disconnect(record)

    [tracking] = shop.writes_to("order_carriers")
    assert tracking["record"]["tracking_number"] == "8R00112233445"
    assert shop.writes_to("order_histories")[0]["record"]["id_order_state"] == "4"
    names = {name for name, eager, thread in runs}
    assert {"connectors.prestashop.tasks.process_webhook_event", "connectors.prestashop.tasks.send_push"} <= names
    assert all(not eager and thread != threading.get_ident() for name, eager, thread in runs)
    assert app.conf.task_default_queue.startswith("lmb-test-")
