"""The list page every object gets: search, filters, sort, pagination and spreadsheet export.

A list view names its search fields, its sort keys, its filter set and its export columns; this
module does the rest, with the same query string driving the page, the htmx partial refresh and
the export (so the exported file is exactly the filtered, sorted list the user sees).
"""

import json
from collections.abc import Sequence

import django_filters
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import generic

from . import text_search
from .forms import name_users
from .spreadsheets import EXPORT_FORMATS, Column, export_response
from .text import printable

RESULTS_TARGET = "list-results"
LAST_PAGE_ASKED = 1_000_000  # beyond it a page number is someone's typing, not a page (the SQL OFFSET is a bigint)


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
    return queryset.filter(text_search.every_word_in_some_field(queryset.model, words[:8], fields))


class ListPaginator(Paginator):
    """Django's paginator, made for lists of 200,000 invoices or a million stock moves.

    - The count is exact up to ``exact_count_limit`` rows (counting stops there: PostgreSQL reads
      at most that many index entries); beyond, the list says « environ 200 000 » from the
      planner's estimate, as large sites do, rather than scanning the whole table on every page.
      A search says « plus de 10 000 »: the planner cannot estimate a word looked for in a
      related table (« théière » in the products of 83,940 stock moves: it guessed 500,000).
    - A page after the first (or the first of a search with more than ``ids_first_beyond`` matches
      to sort) is read in two steps: the ids of the page first, by the sort's index (a narrow
      query: skipping 25,000 rows of page 500 reads 25,000 index entries, not 25,000 wide rows),
      then those rows with everything the page shows — columns computed by a subquery (the
      amount paid of an invoice) are computed for the rows shown only.
    - A search is sorted so that PostgreSQL reads its matches from the trigram indexes and sorts
      them (``text_search.ordering_for_search``): right for a word that matches a few thousand
      rows. A word that matches more than the count's limit (« facture » in every entry line) is
      sorted by ``ordering_when_many``, the list's plain order: PostgreSQL then walks the sort's
      index and stops at the first page of matches, which come quickly since they are many.
    """

    ids_first_beyond = 1_000  # matches of a search sorted on page 1 (see ``page``)

    def __init__(self, object_list, per_page, *, exact_count_limit: int, ordering_when_many=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.exact_count_limit = exact_count_limit
        self.ordering_when_many = ordering_when_many
        self.searched = ordering_when_many is not None  # ListView gives it for a search only
        self.estimated = False
        self.more_than_limit = False  # a search beyond the limit: « plus de 10 000 résultats »

    @cached_property
    def count(self):
        counted = count_up_to(self.object_list, self.exact_count_limit + 1)
        if counted <= self.exact_count_limit:
            return counted
        self.estimated = True
        if self.searched:  # see the class's docstring
            self.more_than_limit = True
            return counted
        return max(planned_rows(self.object_list), counted)

    def validate_number(self, number):
        """With an estimated count any page may hold rows: none is refused for being beyond the
        estimate (the planner may guess low), only for being beyond what a page number can be."""
        if not self.count or not self.estimated:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("Ce numéro de page n'est pas un nombre entier.")) from None
        if not 1 <= number <= LAST_PAGE_ASKED:
            raise EmptyPage(_("Cette page ne contient aucun résultat."))
        return number

    def _get_page(self, *args, **kwargs):
        return ListPage(*args, **kwargs)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = self.object_list
        if self.estimated and self.searched:
            rows = rows.order_by(*self.ordering_when_many)  # see ``ordering_when_many`` above
        # A search's matches are read, then sorted: PostgreSQL joins what the rows show to every
        # match before sorting them (the 8,530 stock moves of « nappe grès modèle 0 »: 42 ms of
        # the page). Past ``ids_first_beyond`` of them, the ids are read first, as for a later page.
        many_to_sort = self.searched and not self.estimated and self.count > self.ids_first_beyond
        if bottom == 0 and not many_to_sort:  # the first page skips nothing: one query
            return self._get_page(rows[: self.per_page], number, self)
        ids = list(rows.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        position = {pk: index for index, pk in enumerate(ids)}
        shown = sorted(rows.filter(pk__in=ids), key=lambda row: position[row.pk]) if ids else []
        return self._get_page(shown, number, self)


class ListPage(Page):
    def has_next(self):
        """Past an estimated count, there is a next page while this one is full."""
        if self.paginator.estimated:
            return len(self.object_list) == self.paginator.per_page
        return super().has_next()


def count_up_to(queryset, limit: int) -> int:
    """The number of rows, counted up to ``limit`` at most: PostgreSQL stops reading there."""
    return queryset.values("pk").order_by()[:limit].count()


def planned_rows(queryset) -> int:
    """The number of rows PostgreSQL's planner expects the query to return (its statistics: no
    row is read). Another database counts them."""
    if connections[queryset.db].vendor != "postgresql":
        return queryset.count()
    sql, params = queryset.order_by().query.sql_with_params()
    return round_estimate(int(explain(sql, params, using=queryset.db)["Plan Rows"]))


def explain(sql, params, *, using="default") -> dict:
    """The top node of the plan PostgreSQL makes for the statement (EXPLAIN, not run)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def round_estimate(rows: int) -> int:
    """An estimate shown with three significant digits (« environ 198 000 »): the planner's
    198,342 would read as a count."""
    digits = len(str(rows))
    return round(rows, 3 - digits) if digits > 3 else rows


class ListView(PermissionRequiredMixin, generic.ListView):
    """Base list view. Subclasses set ``model``, ``permission_required``, ``template_name``,
    ``results_template_name`` and, as needed, the attributes below."""

    paginate_by = 50
    paginator_class = ListPaginator
    #: beyond this many rows the list shows an estimated count (ListPaginator)
    exact_count_limit = 10_000
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
        self.ordering_when_many = None
        if printable(text).strip():  # what ``search`` looks for: a control character alone is no search
            queryset = search(queryset, text, self.search_fields)
            self.ordering_when_many = ordering
            ordering = text_search.ordering_for_search(ordering)
        return queryset.order_by(*ordering)

    def get_paginator(self, queryset, per_page, **kwargs):
        return self.paginator_class(
            queryset,
            per_page,
            exact_count_limit=self.exact_count_limit,
            ordering_when_many=getattr(self, "ordering_when_many", None),
            **kwargs,
        )

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
