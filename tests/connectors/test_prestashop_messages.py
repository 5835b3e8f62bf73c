"""Order messages and gift messages (issue #18, item 9): the gift message and the customer's
messages land on the order's note, and every message (the shop staff's private notes too) on the
customer's timeline — none dropped."""

import copy

from connectors.prestashop import importer, services
from connectors.prestashop.models import Binding
from crm.models import TimelineEntry
from sales.models import Order
from tests.connectors.prestashop_standin import derived


def _with_messages(standin, order_id="1", *, gift=True):
    order = copy.deepcopy(standin.records["orders"][order_id])
    if gift:
        order.update(gift="1", gift_message="Joyeux anniversaire Léa !")
    standin.put_record("orders", order)
    base = {"id_cart": "2", "id_order": order_id, "id_customer": order["id_customer"], "id_employee": "0"}
    standin.put_record(
        "messages",
        {"id": f"{order_id}1", **base, "message": "Livrer après 18 h SVP", "private": "0", "date_add": "2018-02-13 09:35:00"},
    )
    standin.put_record(
        "messages",
        {
            "id": f"{order_id}2",
            **base,
            "id_employee": "1",
            "message": "Client VIP",
            "private": "1",
            "date_add": "2018-02-13 10:00:00",
        },
    )


def test_gift_and_customer_messages_land_on_the_order_and_every_message_on_the_timeline(channel, standin, shop_client):
    _with_messages(standin)

    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")

    assert outcome.status == "created", outcome.error
    order = Order.objects.get(pk=outcome.order_id)
    assert "Message cadeau : Joyeux anniversaire Léa !" in order.note
    assert "Message du client : Livrer après 18 h SVP" in order.note
    assert "Client VIP" not in order.note  # printed with the order: the staff's note stays internal
    entries = TimelineEntry.objects.filter(third_party=order.customer).order_by("occurred_at", "pk")
    assert [(entry.kind, entry.subject, entry.body) for entry in entries] == [
        ("note", "Message du client sur la commande PrestaShop IMCVKMUCP", "Livrer après 18 h SVP"),
        ("note", "Message cadeau de la commande PrestaShop IMCVKMUCP", "Joyeux anniversaire Léa !"),
        ("note", "Note interne de la boutique sur la commande PrestaShop IMCVKMUCP", "Client VIP"),
    ]


def test_the_messages_of_an_order_of_a_known_customer_land_through_a_page_too(channel, standin, shop_client):
    importer.import_order(channel=channel, client=shop_client, external_id="1")  # customer 25 known now
    standin.put_record(
        "orders", derived(standin.records["orders"]["1"], id=7, reference="SECONDBUY", date_upd="2030-01-01 00:00:00")
    )
    _with_messages(standin, "7")

    run = services.sync_channel(channel, full=True)

    assert run.created == 2  # order 7 (the page's bulk path) and order 6
    order = Order.objects.get(pk=Binding.objects.get(kind="order", external_id="7").object_id)
    assert "Message cadeau : Joyeux anniversaire Léa !" in order.note and "Livrer après 18 h SVP" in order.note
    assert TimelineEntry.objects.filter(third_party=order.customer, subject__contains="SECONDBUY").count() == 3


def test_a_message_without_its_text_field_refuses_the_order(channel, standin, shop_client):
    standin.put_record("messages", {"id": "9", "id_order": "1", "private": "0", "date_add": "2018-02-13 09:35:00"})
    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")
    assert outcome.status == "failed" and "Le champ message manque" in outcome.error
