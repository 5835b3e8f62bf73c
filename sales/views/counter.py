"""The counter: start a counter sale (a draft order for the walk-in customer, whose lines are
scanned in the order editor, then rung up with « Encaisser ») and resume one left open. What was
taken is read on the till home (``sales:till_home``), from each register's current session only
— never from every channel's payments of the day."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lmb.access import permission_required
from lmb.errors import DomainError

from .. import services
from ..models import Channel, Order


def _counter_channels():
    return Channel.objects.filter(kind=Channel.Kind.COUNTER, is_active=True).select_related("default_customer").order_by("name")


@permission_required("sales.add_order")
def counter(request):
    context = {
        "channels": _counter_channels(),
        "open_sales": Order.objects.filter(status=Order.Status.DRAFT, channel__kind=Channel.Kind.COUNTER)
        .select_related("channel")
        .order_by("-created_at")[:20],
    }
    return render(request, "sales/counter.html", context)


@require_POST
@permission_required("sales.add_order")
def counter_start(request, channel_pk):
    """A new sale for the channel's walk-in customer; the order editor takes the scans."""
    channel = get_object_or_404(_counter_channels(), pk=channel_pk)
    if channel.default_customer is None:
        messages.error(request, _("Définissez d'abord le client de passage du canal %(channel)s.") % {"channel": channel.name})
        return redirect("sales:counter")
    try:
        order = services.create_order(customer=channel.default_customer, channel=channel, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("sales:counter")
    return redirect(order)
