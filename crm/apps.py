from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Tiers et relation client")

    def ready(self):
        from lmb import demo, imports, search
        from lmb.context_processors import register_menu_item
        from lmb.views import register_dashboard_panel

        from . import importers, queries
        from .demo import seed_third_parties
        from .search import ThirdPartySearch

        register_menu_item(
            label=_("Tiers"), url_name="crm:thirdparty_list", permission="crm.view_thirdparty", icon="people", order=30
        )
        register_menu_item(label=_("Agenda"), url_name="crm:agenda", permission="crm.view_task", icon="calendar-check", order=40)
        register_menu_item(
            label=_("Incidents"),
            url_name="crm:incident_list",
            permission="crm.view_timelineentry",
            icon="exclamation-triangle",
            order=50,
        )
        demo.register_step("third-parties", seed_third_parties, order=30)
        search.register_provider(ThirdPartySearch())
        imports.register(importers.ThirdPartyImporter())
        register_dashboard_panel(
            template_name="crm/_panel_agenda.html",
            permission="crm.view_task",
            context=lambda request: {"agenda": queries.agenda_of(request.user, days_ahead=7)},
            order=10,
        )
