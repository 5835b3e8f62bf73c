"""What every page needs: the navigation the user's roles allow, and the company's name.

Apps add their menu entries with ``register_menu_item`` in their ``AppConfig.ready()``, so the
kernel never needs to know which apps exist.
"""

from dataclasses import dataclass

from django.urls import reverse

from .models import Company


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    permission: str
    icon: str
    order: int


_menu: list[MenuItem] = []


def register_menu_item(*, label, url_name, permission, icon="circle", order=100):
    if all(item.url_name != url_name for item in _menu):
        _menu.append(MenuItem(label, url_name, permission, icon, order))
        _menu.sort(key=lambda item: item.order)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for item in _menu:
        if user.has_perm(item.permission):
            url = reverse(item.url_name)
            items.append({"label": item.label, "url": url, "icon": item.icon, "active": request.path.startswith(url)})
    company = Company.objects.only("name", "trade_name").filter(pk=1).first()
    return {"navigation": items, "company_name": company.display_name if company else "LMB"}
