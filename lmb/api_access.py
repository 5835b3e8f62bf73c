"""Who may call the API and how lists are paged; named in REST_FRAMEWORK settings.

Kept apart from ``lmb.api``: DRF imports these classes while ``rest_framework.views`` is being
imported, so this module must not import DRF's views itself.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, filters, pagination, permissions
from rest_framework.settings import api_settings

from . import text_search
from .models import ApiToken
from .services import hash_api_key


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>``; the key is compared by its SHA-256, never stored in clear."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("En-tête Authorization invalide : « Token <clé> » attendu."))
        key = header[1].decode(errors="replace")
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_api_key(key), revoked_at=None).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Jeton d'API invalide ou révoqué."))
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class RolePermissions(permissions.DjangoModelPermissions):
    """Authenticated, and the user's roles (groups) grant the model permission for the action:
    reading needs ``view_<model>``, writing needs ``add``/``change``/``delete``."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        # A business action (POST /orders/{id}/confirm/) names its own permission on the viewset.
        action_permissions = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if action_permissions is not None:
            return request.user.has_perms(action_permissions)
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            return True
        return super().has_permission(request, view)


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class SearchFilter(filters.SearchFilter):
    """``?search=`` ignores accents and case, like the back-office search box, and uses the same
    trigram indexes (see lmb.text_search)."""

    default_lookup = "matches"


class OrderingFilter(filters.OrderingFilter):
    """With ``?search=``, order so that PostgreSQL reads the matches from the trigram indexes
    (see ``text_search.ordering_for_search``)."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if ordering and request.query_params.get(api_settings.SEARCH_PARAM, "").strip():
            return queryset.order_by(*text_search.ordering_for_search(ordering))
        return super().filter_queryset(request, queryset, view)
