from django.utils.translation import gettext_lazy as _

from lmb.lists import search
from lmb.search import SearchHit, SearchProvider

from .models import ThirdParty


class ThirdPartySearch(SearchProvider):
    title = _("Tiers")
    permission = "crm.view_thirdparty"
    order = 20

    def exact(self, code):
        third_party = ThirdParty.objects.filter(code__same_text=code).only("pk").first()
        return third_party.get_absolute_url() if third_party else None

    def results(self, text, limit):
        matches = search(ThirdParty.objects.all(), text, ("name", "code", "email", "siren", "phone")).order_by("name")
        return [SearchHit(tp.name, tp.get_absolute_url(), f"{tp.code} · {tp.roles_display}") for tp in matches[:limit]]
