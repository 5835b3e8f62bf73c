"""Tabs of a third party's page: « Fiche » (crm's own) and the tabs other apps add (dunning's
« Relances »…) by registering them from ``AppConfig.ready()``; crm never imports them (DESIGN §2).

A tab names a page taking the third party's ``pk``; it is shown to a user holding its
``permissions``, for the third parties ``applies_to`` accepts (customers only, by default).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import ThirdParty


@dataclass(frozen=True)
class ThirdPartyTab:
    key: str
    label: str
    url_name: str  # a page taking the third party's pk
    permissions: tuple[str, ...]
    order: int = 100
    applies_to: Callable[[ThirdParty], bool] = lambda third_party: third_party.is_customer


_tabs: list[ThirdPartyTab] = []


def register_tab(*, key: str, label, url_name: str, permissions: tuple[str, ...], order: int = 100, applies_to=None):
    """A tab on third parties' pages, leading to ``url_name`` (its view checks the same permissions)."""
    if any(tab.key == key for tab in _tabs):
        return
    extra = {"applies_to": applies_to} if applies_to is not None else {}
    _tabs.append(ThirdPartyTab(key, label, url_name, tuple(permissions), order, **extra))
    _tabs.sort(key=lambda each: each.order)


def tabs_for(user, third_party: ThirdParty, *, active: str = "detail") -> list[dict]:
    """The tabs ``user`` may open on ``third_party``'s page, ``active`` marked; [] when crm's page
    would be the only one (no tab bar then)."""
    tabs = [{"key": "detail", "label": _("Fiche"), "url": third_party.get_absolute_url(), "active": active == "detail"}]
    for tab in _tabs:
        if tab.applies_to(third_party) and user.has_perms(tab.permissions):
            url = reverse(tab.url_name, args=[third_party.pk])
            tabs.append({"key": tab.key, "label": tab.label, "url": url, "active": active == tab.key})
    return tabs if len(tabs) > 1 else []
