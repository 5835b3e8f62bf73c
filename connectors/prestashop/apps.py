from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrestashopConfig(AppConfig):
    name = "connectors.prestashop"
    label = "prestashop"
    verbose_name = _("Connecteur PrestaShop")

    def ready(self):
        """Listen to what sales and stock announce: each fact owed to a shop becomes a push in
        the outbox (after the business transaction has committed) and a task sends it."""
        from lmb import events
        from lmb.context_processors import register_menu_item

        from . import services

        register_menu_item(
            label=_("PrestaShop"),
            url_name="prestashop:channel_list",
            permission="prestashop.view_shopchannel",
            icon="shop",
            order=60,
        )
        events.subscribe(events.DELIVERY_NOTE_SHIPPED, services.on_delivery_note_shipped)
        events.subscribe(events.INVOICE_ISSUED, services.on_invoice_issued)
        events.subscribe(events.CREDIT_NOTE_ISSUED, services.on_credit_note_issued)
        events.subscribe(events.ORDER_CANCELLED, services.on_order_cancelled)
        events.subscribe(events.STOCK_MOVED, services.on_stock_moved)
