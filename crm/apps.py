from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Tiers et relation client")

    def ready(self):
        from lmb import demo, imports, search
        from lmb.navigation import register_menu_item, register_section
        from lmb.views import register_dashboard_panel

        from . import importers, queries
        from .demo import seed_third_parties
        from .search import ThirdPartySearch

        register_section(key="crm", label=_("Tiers"), icon="people", order=50)
        register_menu_item(section="crm", label=_("Clients et fournisseurs"), url_name="crm:thirdparty_list", order=10)
        register_menu_item(section="crm", label=_("Mon agenda"), url_name="crm:agenda", order=20)
        register_menu_item(section="crm", label=_("Tâches"), url_name="crm:task_list", order=30)
        register_menu_item(section="crm", label=_("Incidents"), url_name="crm:incident_list", order=40)
        # The texts of every document sent by e-mail (sales and purchasing): one entry, here.
        register_menu_item(section="crm", label=_("Modèles d'e-mail"), url_name="crm:email_templates", order=50)
        demo.register_step("third-parties", seed_third_parties, order=30)
        search.register_provider(ThirdPartySearch())
        imports.register(importers.ThirdPartyImporter())
        register_dashboard_panel(
            template_name="crm/_panel_agenda.html",
            permission="crm.view_task",
            context=lambda request: {"agenda": queries.agenda_of(request.user, days_ahead=7)},
            order=10,
        )
