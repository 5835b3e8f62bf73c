"""Guest checkouts (issue #18, item 6): each order placed as a guest arrives as a new PrestaShop
customer; the same e-mail is one LMB customer within the shop (a setting turns it off), never one
LMB customer per order."""

import pytest
from django.db import connection

from connectors.prestashop import importer, services
from connectors.prestashop.models import Binding, ShopChannel
from crm.models import ThirdParty
from sales.models import Order
from tests.connectors.prestashop_standin import API_KEY, derived

EMAILS = {30: "marie.durand@example.fr", 31: "Marie.Durand@Example.FR", 32: "marie.durand@example.fr"}


def _guest_orders(standin, ids=(30, 31, 32), emails=EMAILS) -> list[str]:
    """Order 1 placed again by guests (a new customer and address each), of one e-mail."""
    customer, address, order = (
        standin.records[kind][key] for kind, key in (("customers", "25"), ("addresses", "12"), ("orders", "1"))
    )
    for guest in ids:
        standin.put_record(
            "customers",
            derived(customer, id=guest, email=emails[guest], is_guest=1, company="", lastname="Durand", firstname="Marie"),
        )
        standin.put_record("addresses", derived(address, id=guest + 100, id_customer=guest, company=""))
        standin.put_record(
            "orders",
            derived(
                order,
                id=guest + 1000,
                reference=f"GUEST{guest}",
                id_customer=guest,
                id_address_invoice=guest + 100,
                id_address_delivery=guest + 100,
            ),
        )
    return [str(guest + 1000) for guest in ids]


def test_the_guests_of_one_email_are_one_customer(channel, standin, shop_client):
    for external_id in _guest_orders(standin):
        assert importer.import_order(channel=channel, client=shop_client, external_id=external_id).status == "created"

    [customer] = ThirdParty.objects.all()
    assert customer.last_name == "Durand" and Order.objects.filter(customer=customer).count() == 3
    bindings = Binding.objects.filter(kind="customer").order_by("external_id")
    assert [(b.external_id, b.object_id, b.email) for b in bindings] == [
        (str(guest), customer.pk, "marie.durand@example.fr") for guest in (30, 31, 32)
    ]
    assert customer.addresses.count() == 3  # each order's own address, on the one customer


def test_the_sync_merges_the_guests_of_a_page_too(channel, standin):
    _guest_orders(standin)
    run = services.sync_channel(channel)
    assert run.created >= 3
    guests = Order.objects.filter(customer_reference__startswith="GUEST")
    assert guests.count() == 3 and len({order.customer_id for order in guests}) == 1


def test_a_shop_that_does_not_merge_keeps_one_customer_per_shop_customer(channel, standin, shop_client):
    services.update_channel(channel, name=channel.name, base_url=channel.base_url, merge_customers_by_email=False)
    channel = ShopChannel.objects.get(pk=channel.pk)
    for external_id in _guest_orders(standin):
        importer.import_order(channel=channel, client=shop_client, external_id=external_id)
    assert ThirdParty.objects.count() == 3


def test_a_customer_of_another_shop_or_typed_in_lmb_with_the_email_is_not_taken(channel, standin, shop_client, main_warehouse):
    from crm import services as crm_services

    crm_services.create_third_party(kind=ThirdParty.Kind.INDIVIDUAL, last_name="Durand", email=EMAILS[30], is_customer=True)
    other, _secret = services.add_channel(name="Autre", base_url=standin.base_url, api_key=API_KEY, warehouse=main_warehouse)
    [first, *_rest] = _guest_orders(standin)
    importer.import_order(channel=other, client=services.client_for(other), external_id=first)

    importer.import_order(channel=channel, client=shop_client, external_id=first)

    assert ThirdParty.objects.filter(email__iexact=EMAILS[30]).count() == 3


@pytest.mark.django_db(transaction=True)
def test_guests_of_one_email_imported_at_once_are_one_customer(channel, standin):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is a PostgreSQL matter; SQLite serialises writers")
    from tests.connectors.test_prestashop_pages import at_once

    standin_orders = []
    for round_ in range(3):
        ids = tuple(range(40 + 10 * round_, 44 + 10 * round_))
        emails = dict.fromkeys(ids, f"guest{round_}@example.fr")
        standin_orders.append((ids, _guest_orders(standin, ids, emails)))
    for ids, external_ids in standin_orders:

        def importing(external_id):
            own = ShopChannel.objects.get(pk=channel.pk)
            return lambda: importer.import_order(channel=own, client=services.client_for(own), external_id=external_id).status

        results = at_once(*[importing(external_id) for external_id in external_ids])
        assert results == ["created"] * len(external_ids), results
        customers = {Order.objects.get(customer_reference=f"GUEST{guest}").customer_id for guest in ids}
        assert len(customers) == 1
