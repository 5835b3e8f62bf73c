"""Who may call the API and how lists are paged; named in REST_FRAMEWORK settings.

Kept apart from ``lmb.api``: DRF imports these classes while ``rest_framework.views`` is being
imported, so this module must not import DRF's views itself.
"""

import datetime
import decimal
import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import authentication, exceptions, filters, pagination, permissions
from rest_framework.settings import api_settings

from . import text_search
from .lists import count_up_to
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
    """Numbered pages with a ``count``: the default, for the lists that stay small (channels,
    warehouses, lines of a document, tasks), where a count and a page number cost nothing. The
    lists that grow with the years of a shop page by ``CursorPagination``."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CursorPagination(pagination.CursorPagination):
    """Pages of the lists that grow without end (documents, payments, stock moves, third parties),
    read by keyset: a page is « the 50 rows after this one » in the list's order, so PostgreSQL
    reads page 500 from the sort's b-tree index as fast as page 1, instead of sorting and skipping
    25 000 rows (OFFSET). The answer has ``next`` and ``previous`` links and no ``count`` (counting
    is the scan this avoids). A viewset opts in with ``pagination_class``; its ``ordering_fields``
    offer only the sorts an index serves, its ``ordering`` is the default order.

    The order is one sort field — the client's ``?ordering=`` if the view offers it (the first one
    when several are given), else the view's ``ordering`` — then the id in the same direction.
    DRF's own cursor remembers only the first field's value and skips the rows tied on it by an
    offset, capped at 1 000 (beyond, rows repeat: a thousand invoices of 12,00 €). Ours remembers
    the pair (value, id), which is unique, so a position never needs an offset and ties of any
    length page exactly. NULLs (a draft has no number nor date) sort where PostgreSQL's indexes
    keep them: after every value ascending, before every value descending.

    With ``?search=`` matching a few thousand rows, the sort and the position read the column
    through ``text_search.unindexed``, like ``OrderingFilter`` does, so that PostgreSQL reads the
    matches from the trigram indexes rather than walking the sort's b-tree (see ``sort_column``).
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-pk"  # for a view that names no ordering
    cursor_query_description = gettext_lazy(
        "Position dans la liste : la valeur du paramètre « cursor » du lien « next » ou « previous » d'une page."
    )
    page_size_query_description = gettext_lazy("Nombre de lignes par page (50 par défaut, 500 au plus).")
    search_alias = "cursor_sort_value"
    MANY_MATCHES = 10_000  # a search matching more is read in the list's order (``sort_column``)

    def get_ordering(self, request, queryset, view):
        """The sort field asked (or the view's default), then the id in the same direction."""
        first = super().get_ordering(request, queryset, view)[0]
        descending = first.startswith("-")
        if first.lstrip("-") in ("pk", "id"):
            return ("-pk",) if descending else ("pk",)
        return (first, "-pk" if descending else "pk")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.model = queryset.model
        self.cursor = self.decode_cursor(request)
        reverse = self.cursor is not None and self.cursor.reverse
        position = self.cursor.position if self.cursor else None

        # A previous page is read backwards from the position, then put back in order.
        descending = self.ordering[0].startswith("-") != reverse
        queryset, column = self.sort_column(queryset, request)
        columns = [column, "pk"][: len(self.ordering)]
        queryset = queryset.order_by(
            *(F(name).desc(nulls_first=True) if descending else F(name).asc(nulls_last=True) for name in columns)
        )
        values = None if position is None else self.decode_position(position)
        rows = self.rows_after(queryset, column, descending, values, limit=self.page_size + 1)

        self.page = rows[: self.page_size]
        following = self._get_position_from_instance(rows[-1], self.ordering) if len(rows) > self.page_size else None
        if reverse:
            self.page.reverse()
            self.has_next, self.next_position = position is not None, position
            self.has_previous, self.previous_position = following is not None, following
        else:
            self.has_next, self.next_position = following is not None, following
            self.has_previous, self.previous_position = position is not None, position
        self.display_page_controls = self.has_previous or self.has_next
        return self.page

    def sort_column(self, queryset, request):
        """The queryset and the name to sort and filter on: the field itself, or under a search
        matching no more than ``MANY_MATCHES`` rows the field hidden from its b-tree index
        (``text_search.unindexed``): the few matches are read from the trigram indexes, then
        sorted. A common word (« atelier » in 50,000 invoices' customers) is read by walking the
        sort's index, which meets a page of matches within a few hundred rows — the screens'
        rule (``lmb.lists.ListPaginator``)."""
        name = self.ordering[0].lstrip("-")
        searched = request.query_params.get(api_settings.SEARCH_PARAM, "").strip()
        if name == "pk" or not searched or count_up_to(queryset, self.MANY_MATCHES + 1) > self.MANY_MATCHES:
            return queryset, name
        return queryset.alias(**{self.search_alias: text_search.unindexed(name)}), self.search_alias

    def rows_after(self, queryset, column, descending, values, *, limit):
        """The ``limit`` rows after the position ``values`` (none: from the start). Each condition
        begins with a range on the sort column (``<=`` or ``>=``), which PostgreSQL reads from the
        index; comparing the pair (value, id) then only filters the rows tied at the boundary. The
        NULLs that follow every value ascending are read after them, by a second query only on the
        page where the values end (an ``OR … IS NULL`` would make PostgreSQL walk the index from
        its start)."""
        if values is None:
            return list(queryset[:limit])
        if len(values) == 1:  # sorted by the id alone
            return list(queryset.filter(**{"pk__lt" if descending else "pk__gt": values[0]})[:limit])
        value, pk = values
        tie_after = Q(pk__lt=pk) if descending else Q(pk__gt=pk)
        is_null = Q(**{f"{column}__isnull": True})
        if value is None:
            among_nulls = is_null & tie_after
            conditions = [among_nulls | ~is_null] if descending else [among_nulls]
        else:
            if descending:
                after = Q(**{f"{column}__lte": value}) & (Q(**{f"{column}__lt": value}) | tie_after)
            else:
                after = Q(**{f"{column}__gte": value}) & (Q(**{f"{column}__gt": value}) | tie_after)
            nullable = self.field_of(self.ordering[0]).null
            conditions = [after, is_null] if nullable and not descending else [after]
        rows = []
        for condition in conditions:
            rows += queryset.filter(condition)[: limit - len(rows)]
            if len(rows) >= limit:
                break
        return rows

    def field_of(self, term):
        name = term.lstrip("-")
        return self.model._meta.pk if name == "pk" else self.model._meta.get_field(name)

    def _get_position_from_instance(self, instance, ordering):
        """A row's place in the order: the sort asked, then the value of each key (JSON text)."""
        values = [_position_text(getattr(instance, term.lstrip("-"))) for term in ordering]
        return json.dumps([ordering[0], *values])

    def decode_cursor(self, request):
        """The cursor given, checked: a 400 naming ``cursor`` when it is not one of ours (DRF
        answers 404 « Invalid cursor », as if the list did not exist). Our positions are unique,
        so DRF's offset is never written and not read."""
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise invalid_cursor() from None
        return None if cursor is None else pagination.Cursor(offset=0, reverse=cursor.reverse, position=cursor.position)

    def decode_position(self, text):
        """The values of a position, as the sort fields hold them (400 for a cursor altered by
        hand, or given with another ``ordering`` than the one it was made for)."""
        try:
            term, *values = json.loads(text)
        except (TypeError, ValueError):
            raise invalid_cursor() from None
        if term != self.ordering[0]:
            raise exceptions.ValidationError(
                {"cursor": [_("Ce curseur a été donné pour un autre tri : gardez le même « ordering » d'une page à l'autre.")]}
            )
        if len(values) != len(self.ordering):
            raise invalid_cursor()
        fields = [self.field_of(term) for term in self.ordering]
        if any(value is None and not field.null for field, value in zip(fields, values, strict=True)):
            raise invalid_cursor()
        try:
            return [None if value is None else field.clean(value, None) for field, value in zip(fields, values, strict=True)]
        except (DjangoValidationError, TypeError, ValueError):
            raise invalid_cursor() from None


def invalid_cursor():
    return exceptions.ValidationError(
        {"cursor": [_("Curseur invalide : reprenez le lien « next » ou « previous » d'une page de cette liste.")]}
    )


def _position_text(value):
    """A sort value as JSON keeps it exactly: dates in ISO 8601 (to the microsecond), amounts as text."""
    if isinstance(value, datetime.date):  # and datetime
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


class SearchFilter(filters.SearchFilter):
    """``?search=`` ignores accents and case, like the back-office search box, and uses the same
    trigram indexes (see lmb.text_search)."""

    default_lookup = "matches"

    def filter_queryset(self, request, queryset, view):
        """Every word in at least one field, the fields behind a foreign key searched in their own
        table (``text_search.every_word_in_some_field``, the search box's rule)."""
        fields = self.get_search_fields(view, request)
        words = self.get_search_terms(request)[:8]
        if not fields or not words or any(field[0] in self.lookup_prefixes for field in fields):
            return super().filter_queryset(request, queryset, view)
        queryset = queryset.filter(text_search.every_word_in_some_field(queryset.model, words, fields))
        return queryset.distinct() if self.must_call_distinct(queryset, fields) else queryset


class OrderingFilter(filters.OrderingFilter):
    """With ``?search=``, order so that PostgreSQL reads the matches from the trigram indexes
    (see ``text_search.ordering_for_search``)."""

    def get_schema_operation_parameters(self, view):
        """The ``ordering`` parameter names the sorts the list offers."""
        parameters = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None)
        if isinstance(fields, list | tuple):
            parameters[0]["description"] = _(
                "Tri : %(fields)s ; « -champ » pour l'ordre décroissant. Un tri non proposé est ignoré."
            ) % {"fields": ", ".join(fields)}
        return parameters

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if ordering and request.query_params.get(api_settings.SEARCH_PARAM, "").strip():
            return queryset.order_by(*text_search.ordering_for_search(ordering))
        return super().filter_queryset(request, queryset, view)
