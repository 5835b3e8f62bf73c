"""Read paths shared by the screens and the API."""

from datetime import timedelta

from django.db.models import Prefetch
from django.utils import timezone

from .models import Address, Task, ThirdParty, TimelineEntry


def third_parties():
    """Third parties with their default billing address (one extra query per page, not per row)."""
    billing = Address.objects.filter(kind=Address.Kind.BILLING, is_default=True)
    return ThirdParty.objects.prefetch_related(Prefetch("addresses", queryset=billing, to_attr="billing_addresses"))


def billing_address(third_party: ThirdParty) -> Address | None:
    """The default billing address; uses the prefetched one when ``third_parties()`` loaded it."""
    prefetched = getattr(third_party, "billing_addresses", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return third_party.addresses.filter(kind=Address.Kind.BILLING, is_default=True).first()


def incidents():
    return TimelineEntry.objects.filter(kind=TimelineEntry.Kind.INCIDENT).select_related("third_party", "author")


def open_tasks_of(user):
    return Task.objects.filter(assignee=user, done_at=None).select_related("third_party", "assignee")


def agenda_of(user, *, days_ahead: int = 14):
    """The user's open tasks: overdue, today, and the coming days."""
    today = timezone.localdate()
    tasks = list(open_tasks_of(user).filter(due_date__lte=today + timedelta(days=days_ahead)))
    return {
        "overdue": [task for task in tasks if task.due_date < today],
        "today": [task for task in tasks if task.due_date == today],
        "upcoming": [task for task in tasks if task.due_date > today],
    }
