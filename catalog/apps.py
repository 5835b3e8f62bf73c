from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalogue")

    def ready(self):
        from lmb import demo, imports, search
        from lmb.navigation import register_menu_item, register_section

        from .demo import seed_catalog
        from .importers import ProductImporter
        from .search import ProductSearch

        register_section(key="catalog", label=_("Catalogue"), icon="box-seam", order=10)
        register_menu_item(section="catalog", label=_("Produits"), url_name="catalog:product_list", order=10)
        register_menu_item(section="catalog", label=_("Catégories"), url_name="catalog:category_list", order=20)
        register_menu_item(section="catalog", label=_("Tarifs"), url_name="catalog:pricelist_list", order=30)
        register_menu_item(section="catalog", label=_("TVA"), url_name="catalog:vatrate_list", order=40)
        demo.register_step("catalog", seed_catalog, order=20)
        search.register_provider(ProductSearch())
        imports.register(ProductImporter())
