"""The menu: sections (one per domain: Catalogue, Ventes, Stock…) holding the pages a user goes to.

Apps add their section and its entries from ``AppConfig.ready()``, so the kernel never needs to
know which apps exist. The top bar shows each section as a drop-down, the section's pages show
the same entries as tabs: one list, two views of it.

An entry names a page, never a permission: it is shown when the user may open the page, which
``lmb.access.can_open`` reads from the page's own view. A menu entry that leads to « Accès
refusé » cannot be written.
"""

from dataclasses import dataclass, field

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from .access import can_open, required_permissions


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url_name: str
    order: int


@dataclass
class MenuSection:
    key: str
    label: str
    icon: str
    order: int
    entries: list[MenuEntry] = field(default_factory=list)


_sections: dict[str, MenuSection] = {}


def register_section(*, key: str, label, icon: str, order: int):
    """A domain of the menu (a drop-down in the top bar, tabs on its pages)."""
    _sections.setdefault(key, MenuSection(key, label, icon, order))


def register_menu_item(*, section: str, label, url_name: str, order: int = 100):
    """A page of ``section``. Who sees it is decided by the page's view (``lmb.access``); an
    entry whose view declares no permission fails the system checks (``check_menu``)."""
    entries = _sections[section].entries
    if all(entry.url_name != url_name for entry in entries):
        entries.append(MenuEntry(label, url_name, order))
        entries.sort(key=lambda entry: entry.order)


def sections() -> list[MenuSection]:
    return sorted(_sections.values(), key=lambda section: section.order)


def menu_for(user, path: str) -> list[dict]:
    """The sections and entries ``user`` may open (empty sections left out), the entry for
    ``path`` marked active: the one whose address is the longest start of ``path``."""
    menu = []
    for section in sections():
        entries = [
            {"label": entry.label, "url_name": entry.url_name, "url": reverse(entry.url_name), "active": False}
            for entry in section.entries
            if can_open(user, entry.url_name)
        ]
        if entries:
            menu.append({"key": section.key, "label": section.label, "icon": section.icon, "entries": entries, "active": False})
    urls = [entry["url"] for section in menu for entry in section["entries"] if path.startswith(entry["url"])]
    if urls:
        active_url = max(urls, key=len)
        for section in menu:
            for entry in section["entries"]:
                if entry["url"] == active_url:
                    entry["active"] = section["active"] = True
    return menu


@checks.register(checks.Tags.urls)
def check_menu(app_configs=None, **kwargs):
    """Every menu entry names a page whose view says who may open it (``lmb.access``), and a
    page is in the menu once: two entries to one page show two sections active at once."""
    errors = []
    seen = {}
    for section in sections():
        for entry in section.entries:
            try:
                required_permissions(entry.url_name)
            except (ImproperlyConfigured, NoReverseMatch) as error:
                errors.append(checks.Error(f"Menu « {section.key} »: {error}", obj=entry.url_name, id="lmb.E010"))
            if entry.url_name in seen:
                message = f"Menu « {section.key} »: {entry.url_name} is already in the menu under « {seen[entry.url_name]} »"
                errors.append(checks.Error(message, obj=entry.url_name, id="lmb.E011"))
            seen.setdefault(entry.url_name, section.key)
    return errors
