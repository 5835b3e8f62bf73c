"""Every page requires a logged-in user, except the login page, /health/ and what is marked
``login_not_required``. The API answers 401/403 itself (token or session), so it is left to DRF."""

from django.conf import settings
from django.contrib.auth import middleware

OPEN_PREFIXES = ("/api/", "/" + settings.STATIC_URL.lstrip("/"))


class LoginRequiredMiddleware(middleware.LoginRequiredMiddleware):
    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(OPEN_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
