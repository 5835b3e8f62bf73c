from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PurchasingConfig(AppConfig):
    name = "purchasing"
    verbose_name = _("Achats")

    def ready(self):
        from catalog import panels
        from lmb import demo
        from lmb.context_processors import register_menu_item

        from . import mailing
        from .demo import seed_purchasing

        demo.register_step("purchasing", seed_purchasing, order=40)

        register_menu_item(
            label=_("Achats"),
            url_name="purchasing:order_list",
            permission="purchasing.view_supplierorder",
            icon="truck",
            order=25,
        )
        panels.register(
            template_name="purchasing/_product_panel.html",
            permission="purchasing.view_supplierprice",
            context=lambda request, product: {"product": product, "prices": product.supplier_prices.select_related("supplier")},
            order=20,
        )
        mailing.register()
