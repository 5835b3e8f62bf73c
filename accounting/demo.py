"""Demo step: the sales and purchases of the demo year booked, the months before the last two
closed (their VAT returns filed), so every screen of accounting has something to show."""

from datetime import timedelta

from django.utils import timezone

from . import services
from .models import JournalEntry, Period


def seed_accounting(context):
    report = services.post_pending()
    two_months_ago = timezone.localdate().replace(day=1)
    for _ in range(2):
        two_months_ago = (two_months_ago - timedelta(days=1)).replace(day=1)
    for period in Period.objects.filter(end__lt=two_months_ago, is_closed=False).order_by("start"):
        services.close_period(period)
    closed = Period.objects.filter(is_closed=True).count()
    lettered = JournalEntry.objects.filter(lines__lettering_code__gt="").distinct().count()
    return f"{report.posted} écritures passées, {lettered} lettrées, {closed} périodes clôturées" + (
        f", {len(report.errors)} document(s) en erreur" if report.errors else ""
    )
