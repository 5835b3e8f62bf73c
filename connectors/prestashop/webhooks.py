"""The signed webhook the shop's module posts to: checked, stored, answered 202 at once; a task
reads the authoritative order from the webservice (services.process_webhook_event)."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import services
from .models import ShopChannel


@login_not_required
@csrf_exempt  # authenticated by its HMAC signature, not by a session
@require_POST
def webhook(request, channel):
    shop = get_object_or_404(ShopChannel, name=channel, is_active=True)
    try:
        event = services.receive_webhook(
            channel=shop, body=request.body, signature=request.headers.get(services.SIGNATURE_HEADER, "")
        )
    except services.WebhookRefused as refused:
        return JsonResponse({"detail": str(refused)}, status=refused.status)
    return JsonResponse({"id": event.pk, "status": event.status}, status=202)
