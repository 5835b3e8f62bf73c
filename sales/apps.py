from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = _("Ventes")

    def ready(self):
        from crm import timeline
        from lmb import demo, events
        from lmb.navigation import register_menu_item, register_section

        from . import mailing, tasks
        from .demo import seed_sales
        from .invoicing import services as invoicing
        from .till.demo import seed_till
        from .timeline import sales_timeline

        demo.register_step("sales", seed_sales, order=50)  # after purchasing (40) and stock life (45): goods in stock
        demo.register_step("till", seed_till, order=51)  # its days are made in the sales calendar: the line says what they hold

        register_section(key="sales", label=_("Ventes"), icon="cart3", order=20)
        for order, (label, url_name) in enumerate(
            [
                (_("Caisse"), "sales:till_home"),
                (_("Devis"), "sales:quote_list"),
                (_("Commandes"), "sales:order_list"),
                (_("Livraisons"), "sales:delivery_list"),
                (_("À facturer"), "sales:to_invoice_list"),
                (_("Reliquats"), "sales:backorder_list"),
                (_("Factures"), "sales:invoice_list"),
                (_("Facturation groupée"), "sales:grouped_invoicing"),
                (_("Avoirs"), "sales:credit_note_list"),
                (_("Règlements"), "sales:payment_list"),
                (_("Bons d'achat"), "sales:voucher_list"),
                (_("Clôtures de caisse"), "sales:till_closure_list"),
                (_("Journal de caisse"), "sales:till_events"),
                (_("Archives de caisse"), "sales:till_archive_list"),
                (_("Caisses"), "sales:till_register_list"),
            ]
        ):
            register_menu_item(section="sales", label=label, url_name=url_name, order=order)
        timeline.register_provider(sales_timeline)
        mailing.register()
        # The Factur-X of an issued document is made by a worker at once, not on first download.
        events.subscribe(events.INVOICE_ISSUED, tasks.on_invoice_issued)
        events.subscribe(events.CREDIT_NOTE_ISSUED, tasks.on_credit_note_issued)
        # Invoices made automatically (INV-18): at shipment, and each new invoice e-mailed when the channel says so.
        events.subscribe(events.DELIVERY_NOTE_SHIPPED, invoicing.on_delivery_note_shipped)
        events.subscribe(events.INVOICE_ISSUED, invoicing.on_invoice_issued)
