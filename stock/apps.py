from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StockConfig(AppConfig):
    name = "stock"
    verbose_name = _("Stock")

    def ready(self):
        from catalog import panels
        from lmb import demo
        from lmb.context_processors import register_menu_item

        from . import queries
        from .demo import seed_stock_life, seed_warehouses

        demo.register_step("warehouses", seed_warehouses, order=35)
        demo.register_step("stock-life", seed_stock_life, order=45)

        register_menu_item(
            label=_("Stock"), url_name="stock:level_list", permission="stock.view_stocklevel", icon="boxes", order=20
        )
        panels.register(
            template_name="stock/_product_panel.html",
            permission="stock.view_stocklevel",
            context=lambda request, product: {"product": product, "levels": queries.levels().filter(product=product)},
            order=10,
        )

        register_menu_item(
            label=_("Étiquettes"), url_name="stock:label_create", permission="stock.view_stocklevel", icon="upc", order=30
        )
