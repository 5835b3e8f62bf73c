from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountingConfig(AppConfig):
    name = "accounting"
    verbose_name = _("Comptabilité")

    def ready(self):
        from lmb import closing, demo
        from lmb.navigation import register_menu_item, register_section

        from .demo import seed_accounting
        from .queries import closed_day_reason

        closing.register(closed_day_reason)  # sales issues nothing dated in a closed period
        demo.register_step("accounting", seed_accounting, order=60)  # after sales (50): documents to book
        register_section(key="accounting", label=_("Comptabilité"), icon="journal-text", order=60)
        for order, (label, url_name) in enumerate(
            [
                (_("Exports"), "accounting:exports"),
                (_("Écritures"), "accounting:entry_list"),
                (_("Lettrage"), "accounting:lettering"),
                (_("Exercices et périodes"), "accounting:fiscal_years"),
                (_("Plan comptable"), "accounting:account_list"),
                (_("Affectations"), "accounting:mapping_list"),
            ]
        ):
            register_menu_item(section="accounting", label=label, url_name=url_name, order=order)
