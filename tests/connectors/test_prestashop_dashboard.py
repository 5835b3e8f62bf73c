"""The connector's panel on the home dashboard (issue #19), registered from its ``ready()`` into
lmb's panel registry (stats may not import connectors): web orders received and not handled yet,
those whose handling failed, the open error queue, with the queue's link filtered."""

import re

import pytest

from connectors.prestashop.models import ImportIssue, WebhookEvent
from tests.factories import UserFactory
from tests.helpers import page_text


def figure(html: str, name: str) -> int:
    return int(re.search(rf'data-figure="{name}">(\d+)<', html).group(1))


@pytest.mark.django_db
def test_the_home_page_counts_web_orders_waiting_and_the_error_queue(client, channel):
    for status in ("received", "received", "failed", "processed"):
        WebhookEvent.objects.create(channel=channel, event="actionValidateOrder", external_id="1", body={}, status=status)
    for number, status in ((9001, "open"), (9002, "open"), (9003, "resolved"), (9004, "ignored")):
        ImportIssue.objects.create(channel=channel, external_id=str(number), error="Totaux", status=status)
    client.force_login(UserFactory(roles=["customer_service"]))
    html = page_text(client.get("/"))
    assert (figure(html, "web-waiting"), figure(html, "web-failed"), figure(html, "web-issues")) == (2, 1, 2)
    assert 'href="/connectors/prestashop/issues/?status=open"' in html
    listed = page_text(client.get("/connectors/prestashop/issues/?status=open"))
    assert "9001" in listed and "9002" in listed
    assert "9003" not in listed and "9004" not in listed


@pytest.mark.django_db
def test_the_warehouse_does_not_see_the_web_panel(client, channel):
    client.force_login(UserFactory(roles=["warehouse"]))
    assert 'id="tile-web-orders"' not in page_text(client.get("/"))
