"""The customer timeline: every exchange with a third party, in date order.

``crm`` stores its own entries (calls, e-mails, letters, meetings, notes, incidents). Other apps
show theirs (quotes, invoices, reminders…) by registering a provider from ``AppConfig.ready()``:
a callable ``provider(third_party, *, limit)`` returning ``TimelineItem``s, newest first. crm never
imports them (DESIGN §2).
"""

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from .models import ThirdParty, TimelineEntry


@dataclass(frozen=True)
class TimelineItem:
    occurred_at: datetime
    kind: str  # a short code: "call", "invoice", "reminder"…
    kind_label: str
    title: str
    text: str = ""
    url: str = ""
    author: str = ""
    source: str = "crm"
    entry: TimelineEntry | None = None  # set for crm's own entries (attachments, incident status)


Provider = Callable[..., Iterable[TimelineItem]]
_providers: list[Provider] = []


def register_provider(provider: Provider):
    if provider not in _providers:
        _providers.append(provider)


def unregister_provider(provider: Provider):
    if provider in _providers:
        _providers.remove(provider)


def _own_items(third_party: ThirdParty, limit: int):
    entries = (
        TimelineEntry.objects.filter(third_party=third_party)
        .select_related("author", "contact")
        .prefetch_related("attachments")[:limit]
    )
    for entry in entries:
        title = entry.subject
        if entry.contact:
            title = f"{title} — {entry.contact}"
        yield TimelineItem(
            occurred_at=entry.occurred_at,
            kind=entry.kind,
            kind_label=entry.get_kind_display(),
            title=title,
            text=entry.body,
            author=entry.author.get_full_name() or entry.author.username if entry.author else "",
            entry=entry,
        )


def timeline_for(third_party: ThirdParty, *, limit: int = 30, offset: int = 0) -> list[TimelineItem]:
    """Items ``offset`` to ``offset + limit`` of the third party's timeline, newest first, from
    crm and every provider (each asked for as many as could be shown)."""
    wanted = offset + limit
    streams = [_own_items(third_party, wanted)] + [provider(third_party, limit=wanted) for provider in _providers]
    merged = heapq.merge(*streams, key=lambda item: item.occurred_at, reverse=True)
    return list(islice(merged, offset, wanted))
