from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DunningConfig(AppConfig):
    name = "dunning"
    verbose_name = _("Relances")

    def ready(self):
        from crm import tabs
        from lmb import demo
        from lmb.navigation import register_menu_item, register_section

        from . import mailing
        from .demo import seed_dunning
        from .views import SEE_BALANCE

        mailing.register()  # reminders e-mailed through crm's mailing, their PDF attached
        demo.register_step("dunning", seed_dunning, order=70)  # after sales (50) and accounting (60): invoices to chase
        register_section(key="dunning", label=_("Relances"), icon="bell", order=25)
        register_menu_item(section="dunning", label=_("Balance âgée"), url_name="dunning:aged_balance", order=10)
        register_menu_item(section="dunning", label=_("Relances à valider"), url_name="dunning:reminders_to_validate", order=20)
        register_menu_item(section="dunning", label=_("Plans et taux"), url_name="dunning:plans", order=30)
        tabs.register_tab(key="dunning", label=_("Relances"), url_name="dunning:customer", permissions=SEE_BALANCE, order=20)
