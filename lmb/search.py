"""The search box in the top bar: one box for everything, friendly to barcode scanners.

Apps register a ``SearchProvider`` from ``ready()``. When one provider finds exactly one object
for the typed code (a scanned EAN-13, a product reference, a third-party code), the box opens it
directly; otherwise the results of every provider are listed by section.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchHit:
    label: str
    url: str
    detail: str = ""


class SearchProvider:
    title = ""
    permission = ""
    order = 100

    def exact(self, code: str) -> str | None:
        """The URL of the one object whose code is exactly ``code``, or None."""
        return None

    def results(self, text: str, limit: int) -> list[SearchHit]:
        return []


_providers: list[SearchProvider] = []


def register_provider(provider: SearchProvider):
    if all(type(existing) is not type(provider) for existing in _providers):
        _providers.append(provider)
        _providers.sort(key=lambda p: p.order)


def providers_for(user) -> list[SearchProvider]:
    return [provider for provider in _providers if user.has_perm(provider.permission)]


def exact_match(user, code: str) -> str | None:
    for provider in providers_for(user):
        url = provider.exact(code)
        if url:
            return url
    return None
