"""Order messages and gift messages (issue #18, item 9): the gift message and the customer's
messages land on the order's note, and every message (the shop staff's private notes too) on the
customer's timeline — none dropped."""

import copy
import html

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


def test_a_page_reads_the_messages_of_its_orders_in_one_call_and_gives_each_order_its_own(channel, standin):
    del standin.records["orders"]["114"]  # its currency is not mapped here
    standin.put_record("orders", derived(standin.records["orders"]["1"], id=7, reference="SECONDBUY"))
    for order_id in ("1", "6", "7"):
        _with_messages(standin, order_id, gift=False)

    run = services.sync_channel(channel, full=True)

    assert run.created == 3
    calls = [params for _method, path, params in standin.requests if path == "messages"]
    assert len(calls) == 1 and set(calls[0]["filter[id_order]"].strip("[]").split("|")) == {"1", "6", "7"}
    for order_id in ("1", "6", "7"):
        order = Order.objects.get(pk=Binding.objects.get(kind="order", external_id=order_id).object_id)
        assert order.note.count("Message du client : Livrer après 18 h SVP") == 1
        reference = standin.records["orders"][order_id]["reference"]
        subjects = TimelineEntry.objects.filter(third_party=order.customer).values_list("subject", flat=True)
        assert sum(reference in subject for subject in subjects) == 2  # its message and its staff note, no other order's


def test_a_key_without_the_messages_right_still_imports_every_order_and_says_so(admin_client, channel, standin):
    _with_messages(standin)  # order 1: a gift message (a field of the order) and two messages the key may not read
    standin.rights = {"messages": set()}  # a shop upgraded without giving the key the new right
    del standin.records["orders"]["114"]  # its currency is not mapped here

    run = services.sync_channel(channel, full=True)

    assert (run.created, run.failed) == (2, 0)  # no order stopped
    order = Order.objects.get(pk=Binding.objects.get(kind="order", external_id="1").object_id)
    assert "Messages de la commande non lus : la clé du webservice n'a pas le droit messages (GET)" in order.note
    assert "Message cadeau : Joyeux anniversaire Léa !" in order.note  # read from the order itself
    assert "Livrer après 18 h SVP" not in order.note
    channel.refresh_from_db()
    assert channel.missing_rights == ["messages (GET)"]
    warning = "la clé n'a pas le droit messages (GET) : les messages des commandes ne sont pas lus"
    shop_page = html.unescape(admin_client.get(channel.get_absolute_url()).content.decode())
    assert 'id="missing-rights"' in shop_page and warning in shop_page

    tested = html.unescape(admin_client.post(f"/connectors/prestashop/{channel.pk}/test/").content.decode())
    assert warning in tested and "Droits manquants" not in tested  # the orders still import: not a missing right

    standin.rights = {}  # the right given back: the connection test clears the warning
    admin_client.post(f"/connectors/prestashop/{channel.pk}/test/")
    channel.refresh_from_db()
    assert channel.missing_rights == []
    assert 'id="missing-rights"' not in html.unescape(admin_client.get(channel.get_absolute_url()).content.decode())


def test_an_order_read_alone_without_the_messages_right_is_imported_and_says_so(channel, standin, shop_client):
    standin.rights = {"messages": set()}
    outcome = importer.import_order(channel=channel, client=shop_client, external_id="1")
    assert outcome.status == "created", outcome.error
    assert "Messages de la commande non lus" in Order.objects.get(pk=outcome.order_id).note
    channel.refresh_from_db()
    assert channel.missing_rights == ["messages (GET)"]
