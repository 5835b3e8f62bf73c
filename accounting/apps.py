from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountingConfig(AppConfig):
    name = "accounting"
    verbose_name = _("Comptabilité")

    def ready(self):
        from lmb import demo
        from lmb.context_processors import register_menu_item

        from .demo import seed_accounting

        demo.register_step("accounting", seed_accounting, order=60)  # after sales (50): documents to book
        register_menu_item(
            label=_("Comptabilité"),
            url_name="accounting:exports",
            permission="accounting.view_journalentry",
            icon="journal-text",
            order=40,
        )
