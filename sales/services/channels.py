"""Sales channels: the counter, the phone, B2B come with the installation; each web shop a
connector sells through gets its own (its orders and invoices say which shop they came from)."""

from django.db import transaction
from django.utils.translation import gettext as _

from lmb.errors import Conflict, InvalidInput
from lmb.services import validate_and_save

from ..models import Channel


@transaction.atomic
def create_channel(
    *, code: str, name: str, kind: str = Channel.Kind.WEB, prices_include_tax: bool = True, warehouse=None
) -> Channel:
    """A new active sales channel; a code already taken is refused."""
    code = code.strip().upper()
    if Channel.objects.filter(code=code).exists():
        raise Conflict(_("Le canal de vente %(code)s existe déjà.") % {"code": code}, field="code")
    return validate_and_save(Channel(code=code, name=name, kind=kind, prices_include_tax=prices_include_tax, warehouse=warehouse))


CHANNEL_SETTINGS = ("name", "prices_include_tax", "warehouse", "default_customer", "invoicing_policy", "email_invoices")


@transaction.atomic
def update_channel(channel: Channel, *, user=None, **changes) -> Channel:
    """The settings of a sales channel (its code and kind stay): name, prices entered TTC or HT,
    the shipping warehouse, the counter's default customer, when its shipped notes are invoiced
    (INV-18: at shipment, or a periodic invoice, PAY-02) and whether each invoice is e-mailed.
    Documents already made keep what they recorded."""
    unknown = set(changes) - set(CHANNEL_SETTINGS)
    if unknown:
        raise InvalidInput({name: [_("Ce réglage ne se modifie pas ici.")] for name in sorted(unknown)})
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    customer = changes.get("default_customer", channel.default_customer)
    if customer is not None and not customer.is_customer:
        raise InvalidInput({"default_customer": [_("%(name)s n'est pas un client.") % {"name": customer.name}]})
    warehouse = changes.get("warehouse", channel.warehouse)
    if warehouse is not None and not warehouse.is_active:
        raise InvalidInput({"warehouse": [_("Le dépôt %(name)s n'est plus actif.") % {"name": warehouse.name}]})
    for name, value in changes.items():
        setattr(channel, name, value)
    return validate_and_save(channel)
