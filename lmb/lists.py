"""The list page every object gets: search, filters, sort, pagination and spreadsheet export.

A list view names its search fields, its sort keys, its filter set and its export columns; this
module does the rest, with the same query string driving the page, the htmx partial refresh and
the export (so the exported file is exactly the filtered, sorted list the user sees).
"""

from collections.abc import Sequence
from functools import reduce
from operator import and_, or_

import django_filters
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.views import generic

from . import text_search
from .forms import name_users
from .spreadsheets import EXPORT_FORMATS, Column, export_response
from .text import printable

RESULTS_TARGET = "list-results"


class YesNoWidget(django_filters.widgets.BooleanWidget):
    """All / yes / no, in French (django-filter's own says "Inconnu" for "all")."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", _("Tous")), ("true", _("Oui")), ("false", _("Non")))


def yes_no_filter(label, **kwargs):
    return django_filters.BooleanFilter(label=label, widget=YesNoWidget, **kwargs)


def search(queryset, text: str, fields):
    """Every word must appear in at least one of the fields, ignoring case and accents. A control
    character typed or pasted is no part of any word (PostgreSQL refuses NUL in a query)."""
    words = printable(text or "").split()
    if not words or not fields:
        return queryset
    conditions = [reduce(or_, (Q(**{f"{name}__matches": word}) for name in fields)) for word in words[:8]]
    return queryset.filter(reduce(and_, conditions))


class ListView(PermissionRequiredMixin, generic.ListView):
    """Base list view. Subclasses set ``model``, ``permission_required``, ``template_name``,
    ``results_template_name`` and, as needed, the attributes below."""

    paginate_by = 50
    filterset_class = None
    search_fields: tuple[str, ...] = ()
    search_placeholder = ""
    #: sort key shown in the URL → model field paths (a leading "-" reverses a path)
    sort_fields: dict[str, tuple[str, ...]] = {}
    default_sort = ""
    export_columns: list[Column] = []
    export_name = "export"
    results_template_name = ""

    def get_base_queryset(self):
        """The rows before search and filters, with what the page shows joined in."""
        return self.model._default_manager.all()

    def get_queryset(self):
        queryset = self.get_base_queryset()
        if self.filterset_class is not None:
            self.filterset = self.filterset_class(self.request.GET or None, queryset=queryset, request=self.request)
            name_users(self.filterset.form)
            queryset = self.filterset.qs if self.filterset.is_bound else queryset
        else:
            self.filterset = None
        text = self.request.GET.get("q", "")
        ordering = self.ordering_expressions()
        if text.strip():
            queryset = search(queryset, text, self.search_fields)
            ordering = text_search.ordering_for_search(ordering)
        return queryset.order_by(*ordering)

    def current_sort(self) -> str:
        requested = self.request.GET.get("sort", "")
        return requested if requested.lstrip("-") in self.sort_fields else self.default_sort

    def ordering_expressions(self):
        sort = self.current_sort()
        if not sort:
            return ["pk"]
        descending = sort.startswith("-")
        paths = self.sort_fields[sort.lstrip("-")]
        flipped = [(p[1:] if p.startswith("-") else "-" + p) if descending else p for p in paths]
        return [*flipped, "-pk" if descending else "pk"]

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get("export")
        if export_format:
            if export_format not in EXPORT_FORMATS or not self.export_columns:
                raise Http404
            return export_response(
                export_format,
                self.export_name,
                self.export_columns,
                self.get_queryset().iterator(chunk_size=2000),
                sheet_name=self.model._meta.verbose_name_plural,
            )
        return super().get(request, *args, **kwargs)

    def get_template_names(self):
        if not self.results_template_name:
            raise ImproperlyConfigured(f"{type(self).__name__} needs results_template_name.")
        if getattr(self.request, "htmx", False) and self.request.htmx.target == RESULTS_TARGET:
            return [self.results_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            filterset=self.filterset,
            search_text=self.request.GET.get("q", ""),
            search_placeholder=self.search_placeholder,
            current_sort=self.current_sort(),
            export_formats=EXPORT_FORMATS if self.export_columns else {},
            results_template_name=self.results_template_name,
            results_target=RESULTS_TARGET,
        )
        return context


LAST_PAGE_ASKED = 1_000_000  # beyond it a page number is someone's typing, not a page (the SQL OFFSET is a bigint)


def requested_page(request) -> int:
    """The page number of the query string (1 when missing or not a number), at most
    ``LAST_PAGE_ASKED``: the report shows its last page for any number beyond its own last."""
    try:
        return min(max(int(request.GET.get("page") or 1), 1), LAST_PAGE_ASKED)
    except ValueError:
        return 1


class _FetchedRows(Sequence):
    """A report's one page, fetched with the count of the whole report (one statement), as
    Django's Paginator reads a list: its length is the count, its one slice the rows fetched."""

    def __init__(self, rows, *, count: int, offset: int):
        self._rows, self._count, self._offset = list(rows), count, offset

    def __len__(self):
        return self._count

    def __getitem__(self, index):
        if isinstance(index, slice) and (index.start or 0) == self._offset:
            return self._rows
        raise IndexError("only the page fetched can be read")


def fetched_page(rows, *, count: int, number: int, per_page: int) -> Page:
    """The Page of ``rows`` — page ``number`` (the last when beyond it) of a report of ``count``
    rows fetched by the database with its LIMIT/OFFSET — for the pagination template."""
    last = max((count + per_page - 1) // per_page, 1)
    number = min(max(number, 1), last)
    return Paginator(_FetchedRows(rows, count=count, offset=(number - 1) * per_page), per_page).page(number)
