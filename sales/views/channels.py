"""Settings of the sales channels (administrators only): how each one sells (prices TTC or HT,
warehouse, the counter's default customer) and invoices (INV-18: at shipment or periodic, PAY-02;
each invoice e-mailed or not)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from lmb.access import permission_required
from lmb.errors import DomainError
from lmb.forms import add_domain_error

from ..forms import ChannelSettingsForm
from ..models import Channel
from ..services.channels import update_channel

PERMISSIONS = ("sales.view_channel", "sales.configure_channel")


@permission_required(*PERMISSIONS)
def channel_list(request):
    channels = Channel.objects.select_related("warehouse", "default_customer").order_by("-is_active", "name")
    return render(request, "sales/channel_list.html", {"channels": channels})


@permission_required(*PERMISSIONS)
def channel_edit(request, pk):
    channel = get_object_or_404(Channel.objects.select_related("warehouse", "default_customer"), pk=pk)
    form = ChannelSettingsForm(request.POST or None, instance=channel)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            update_channel(channel, user=request.user, **changes)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Canal « %(name)s » enregistré.") % {"name": changes["name"]})
            return redirect("sales:channel_list")
    status = 400 if form.errors else 200
    return render(request, "sales/channel_form.html", {"form": form, "channel": channel}, status=status)
