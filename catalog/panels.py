"""Extra blocks on the product page, filled by apps above the catalogue (stock levels, supplier
prices…) from their ``AppConfig.ready()``: the catalogue never imports them (DESIGN §2)."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProductPanel:
    template_name: str
    permission: str
    context: Callable  # (request, product) -> dict
    order: int


_panels: list[ProductPanel] = []


def register(*, template_name: str, permission: str, context: Callable, order: int = 100):
    if all(panel.template_name != template_name for panel in _panels):
        _panels.append(ProductPanel(template_name, permission, context, order))
        _panels.sort(key=lambda panel: panel.order)


def panels_for(request, product) -> list[dict]:
    return [
        {"template_name": panel.template_name, **panel.context(request, product)}
        for panel in _panels
        if request.user.has_perm(panel.permission)
    ]
