"""The analysis screen of the back office (the dashboard is ``stats.dashboard*``): the form, the
nested table with its subtotals and grand total, a drill-down into any row (its level becomes a
filter, or its dates the period, and the next levels are shown; the filters above the table take
you back up), the comparison, and the xlsx / ods exports of what is shown."""

from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lmb.access import permission_required
from lmb.errors import InvalidInput
from lmb.views import safe_next

from . import exports, queries, services
from . import spec as specs
from .forms import AnalysisForm, SaveAnalysisForm
from .models import SavedAnalysis
from .spec import parse
from .templatetags.stats_figures import MONEY, figure

SEE_ANALYSES = ("stats.view_salefact",)


def query_of(spec: specs.Spec, **changes) -> str:
    """The URL parameters of ``spec`` (the API's and the screen's), with ``changes``."""
    data = spec.as_dict()
    params = {
        "period": data["period"],
        "mode": data["mode"],
        "measures": ",".join(data["measures"]),
        "levels": ",".join(data["levels"]),
        "start": data["start"],
        "end": data["end"],
        "compare": data["compare"],
        "category_depth": data["category_depth"],
    }
    for level, values in data["filters"].items():
        params[f"filter_{level}"] = ",".join(values)
    params.update(changes)
    return urlencode({key: value for key, value in params.items() if value not in (None, "")})


def _defaults(request) -> dict:
    """The parameters asked, the three level drop-downs folded into ``levels``; this year's sales
    by month when nothing is asked."""
    data = request.GET.copy()
    if not data:
        today = timezone.localdate()
        data.update({"levels": "month", "start": date(today.year, 1, 1).isoformat(), "end": today.isoformat()})
        data.setlist("measures", ["net", "quantity", "margin", "margin_rate", "documents"])
    if any(name in data for name in ("level1", "level2", "level3")):
        data["levels"] = ",".join(data.get(name, "") for name in ("level1", "level2", "level3") if data.get(name))
    return data


def _period_bounds(day: date, grain: str) -> tuple[date, date]:
    start = queries.truncate(day, grain)
    match grain:
        case "week":
            return start, start + (date.resolution * 6)
        case "month":
            return start, specs.add_months(start, 1) - date.resolution
        case "quarter":
            return start, specs.add_months(start, 3) - date.resolution
        case "year":
            return start, date(start.year, 12, 31)
    return start, start


def _drill(spec: specs.Spec, path: list) -> str | None:
    """The URL that opens the rows under ``path`` [(level, key)…]: each level a filter (a period
    the dates), the levels after the last one shown. None when there is nothing under it."""
    levels = spec.levels[len(path) :]
    deeper = spec.category_depth
    if not levels:
        # A category at the last level opens onto its subcategories (one step deeper in the tree).
        level, key = path[-1]
        if level != "category" or not key or len(key) != queries.PATH_SEGMENT * (deeper + 1) or deeper >= specs.MAX_DEPTH:
            return None
        levels, deeper = ("category",), deeper + 1
    changes = {"levels": ",".join(levels)}
    start, end = spec.start, spec.end
    for level, key in path:
        if key is None or key == "":
            return None
        if level in specs.PERIOD_LEVELS:
            first, last = _period_bounds(key, level)
            start, end = max(start, first), min(end, last)
            changes["period"] = ""  # into one month of « l'année en cours »: that month's dates
        else:
            value = str(int(key.rstrip("/").rsplit("/", 1)[-1])) if level == "category" else str(key)
            changes[f"filter_{level}"] = value  # the row lies within any filter already on its level
    changes.update(start=start.isoformat(), end=end.isoformat())
    changes["category_depth"] = deeper if "category" in levels else spec.category_depth
    return "?" + query_of(spec, **changes)


def _lines(analysis: queries.Analysis) -> list[dict]:
    lines = []

    def visit(rows, path):
        for row in rows:
            here = [*path, (row.level, row.key)]
            lines.append(
                {
                    "depth": len(path),
                    "row": row,
                    "cells": [figure(row.values.get(m), m) for m in analysis.spec.measures],
                    "compare": [figure((row.compare or {}).get(m), m) for m in analysis.spec.measures],
                    "drill": _drill(analysis.spec, here) if row.children or row.level == "category" else None,
                }
            )
            visit(row.children, here)

    visit(analysis.rows, [])
    return lines


def chart_of(analysis: queries.Analysis) -> dict:
    """The bar chart of the first level (the rows shown, « Autres » included) by the first measure,
    for static/js/charts.js: periods in time order (as the table), the compared period as a second
    series when one is asked. Values as strings (Decimals), a ratio of nothing as null."""
    spec = analysis.spec
    measure, level = spec.measures[0], spec.levels[0]
    label_format = {"day": "date", "month": "month"}.get(level, "text")
    labels = [row.key.isoformat() if label_format != "text" and row.key is not None else str(row.label) for row in analysis.rows]

    def series(name, pick):
        values = [pick(row) for row in analysis.rows]
        return {"label": str(name), "values": [None if value is None else str(value) for value in values]}

    datasets = [series(specs.MEASURES[measure], lambda row: row.values.get(measure))]
    if analysis.compare_period is not None:
        start, end = analysis.compare_period
        name = f"{specs.MEASURES[measure]} ({start:%d/%m/%Y} – {end:%d/%m/%Y})"
        datasets.append(series(name, lambda row: (row.compare or {}).get(measure)))
    return {
        "type": "bar",
        "format": "money" if measure in MONEY else "number",
        "label_format": label_format,
        "labels": labels,
        "datasets": datasets,
    }


def _filter_chips(spec: specs.Spec) -> list[dict]:
    chips = []
    for level, values in spec.filters.items():
        keys = [int(v) for v in values] if level in specs.ID_LEVELS else list(values)
        if level == "category":
            from catalog.models import Category

            paths = dict(Category.objects.filter(pk__in=keys).values_list("pk", "path"))
            labels = queries.label_of(level, list(paths.values()))
            names = [labels.get(paths.get(key), str(key)) for key in keys]
        else:
            labels = queries.label_of(level, keys)
            names = [labels.get(key, str(key)) for key in keys]
        chips.append(
            {
                "level": specs.LEVELS[level],
                "names": ", ".join(names),
                "remove": "?" + query_of(spec, **{f"filter_{level}": ""}),
            }
        )
    return chips


def _filter_choices(level: str) -> list[tuple[str, str]]:
    """(value, label) of a level chosen in a list: those with a few values. Products, customers
    and suppliers are filtered by drilling into their row (or through the API)."""
    from catalog.models import Category
    from crm.models import CustomerCategory, ThirdParty
    from lmb.countries import country_choices
    from sales.models import Channel, VatTreatment
    from stock.models import Warehouse

    match level:
        case "channel":
            return [(str(pk), name) for pk, name in Channel.objects.order_by("name").values_list("pk", "name")]
        case "category":
            return [(str(pk), name) for pk, name in Category.objects.order_by("path").values_list("pk", "full_name")]
        case "warehouse":
            return [(str(pk), name) for pk, name in Warehouse.objects.order_by("name").values_list("pk", "name")]
        case "sales_rep":
            reps = ThirdParty.objects.exclude(sales_rep=None).values("sales_rep")
            labels = queries.label_of("sales_rep", set(reps.values_list("sales_rep", flat=True)))
            return sorted(((str(pk), label) for pk, label in labels.items() if pk is not None), key=lambda choice: choice[1])
        case "country":
            return list(country_choices())
        case "customer_category":
            return [(key, str(label)) for key, label in CustomerCategory.choices]
        case "customer_kind":
            return [(key, str(label)) for key, label in ThirdParty.Kind.choices]
        case "vat_treatment":
            return [(key, str(label)) for key, label in VatTreatment.choices]
    return []


LISTED_FILTERS = (
    "channel", "category", "country", "customer_category", "customer_kind", "sales_rep", "warehouse", "vat_treatment",
)  # fmt: skip


def _filter_selects(spec: specs.Spec | None, mode: str) -> list[dict]:
    """One drop-down per listed level of the mode, the current filter chosen (several values, as a
    drill-down or the API may set, shown as one choice keeping them all)."""
    selects = []
    for level in LISTED_FILTERS:
        if level not in specs.LEVELS_OF.get(mode, ()):
            continue
        chosen = ",".join(spec.filters.get(level, ())) if spec else ""
        choices = _filter_choices(level)
        if chosen and chosen not in {value for value, _label in choices}:
            choices = [(chosen, _("%(count)s valeurs choisies") % {"count": len(spec.filters[level])}), *choices]
        every = _("Toutes") if level in ("category", "customer_category") else _("Tous")  # the level's gender
        selects.append(
            {"name": f"filter_{level}", "label": specs.LEVELS[level], "choices": choices, "chosen": chosen, "every": every}
        )
    return selects


@permission_required(*SEE_ANALYSES)
def analysis(request):
    data = _defaults(request)
    errors, result, spec = {}, None, None
    try:
        spec = parse(data)
        result = queries.run(spec, limit=specs.SCREEN_LIMIT)
    except InvalidInput as exc:
        errors = exc.errors
    levels = [level for level in (data.get("levels") or "").split(",") if level]
    initial = {
        "mode": data.get("mode") or "sales",
        "start": data.get("start"),
        "end": data.get("end"),
        "compare": data.get("compare") or "none",
        "period": data.get("period") or "",
        "category_depth": data.get("category_depth") or 0,
        "measures": data.getlist("measures") if len(data.getlist("measures")) > 1 else (data.get("measures") or "").split(","),
        **{f"level{i + 1}": level for i, level in enumerate(levels[:3])},
    }
    if spec is not None:
        initial["start"], initial["end"] = spec.start, spec.end  # a moving period's dates of today
        initial["measures"] = list(spec.measures)  # the measures shown, the defaults included, ticked
    form = AnalysisForm(initial=initial)
    mode = spec.mode if spec else (data.get("mode") or "sales")
    context = {
        "form": form,
        "errors": errors,
        "analysis": result,
        "spec": spec,
        "saved_analyses": _saved_by(request.user),
        "filter_selects": _filter_selects(spec, mode),
        "hidden_filters": {
            level: values for level, values in (spec.filters.items() if spec else ()) if level not in LISTED_FILTERS
        },
    }
    if result is not None:
        query = query_of(spec)
        context.update(
            lines=_lines(result),
            chart=chart_of(result),
            columns=[specs.MEASURES[m] for m in spec.measures],
            level_labels=[specs.LEVELS[level] for level in spec.levels],
            total=[figure(result.total.get(m), m) for m in spec.measures],
            total_compare=[figure((result.total_compare or {}).get(m), m) for m in spec.measures],
            chips=_filter_chips(spec),
            export_xlsx=reverse("stats:analysis_export", args=["xlsx"]) + "?" + query,
            export_ods=reverse("stats:analysis_export", args=["ods"]) + "?" + query,
            api_url="/api/v1/stats/analysis/?" + query,
            query=query,
            save_form=SaveAnalysisForm(),
        )
    return render(request, "stats/analysis.html", context, status=400 if errors else 200)


@permission_required(*SEE_ANALYSES)
def analysis_export(request, fmt: str):
    """The analysis of the query parameters as an xlsx or ods file."""
    if fmt not in exports.FORMATS:
        return HttpResponse("Format d'export inconnu : xlsx ou ods.", status=404, content_type="text/plain; charset=utf-8")
    try:
        spec = parse(request.GET)
    except InvalidInput as exc:
        text = "\n".join(f"{field} : {' '.join(messages)}" for field, messages in exc.errors.items())
        return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
    return exports.response(spec, fmt)


# --- Saved analyses -------------------------------------------------------------------------------


def _saved_by(user):
    """The analyses ``user`` may open: their own and those others shared."""
    return SavedAnalysis.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner").order_by("name", "pk")


@require_POST
@permission_required(*SEE_ANALYSES)
def save_analysis(request):
    """Keep the analysis shown (its parameters in ``query``) under a name, for oneself or shared."""
    query = QueryDict(request.POST.get("query", "")[:4000])
    form = SaveAnalysisForm(request.POST)
    back = reverse("stats:analysis") + "?" + query.urlencode()  # rebuilt from its parameters, not echoed
    if not form.is_valid():
        messages.error(
            request, " ".join(f"{form.fields[name].label} : {' '.join(errors)}" for name, errors in form.errors.items())
        )
        return redirect(back)
    try:
        spec = parse(query)  # the parameters of the analysis shown (``query_of``)
        saved = services.save_analysis(
            owner=request.user, name=form.cleaned_data["name"], spec=spec.as_dict(), shared=form.cleaned_data["shared"]
        )
    except InvalidInput as exc:
        messages.error(request, " ".join(" ".join(errors) for errors in exc.errors.values()))
        return redirect(back)
    messages.success(request, _("Analyse « %(name)s » enregistrée.") % {"name": saved.name})
    return redirect(back)


@permission_required(*SEE_ANALYSES)
def open_analysis(request, pk: int):
    """A saved analysis, run again on today's data (a moving period on today's dates)."""
    saved = get_object_or_404(_saved_by(request.user), pk=pk)
    try:
        spec = parse(saved.spec)
    except InvalidInput as exc:  # saved before a level or a measure was withdrawn
        messages.error(request, " ".join(" ".join(errors) for errors in exc.errors.values()))
        return redirect("stats:analysis")
    return redirect(reverse("stats:analysis") + "?" + query_of(spec))


@require_POST
@permission_required(*SEE_ANALYSES)
def delete_analysis(request, pk: int):
    saved = get_object_or_404(_saved_by(request.user), pk=pk)
    try:
        services.delete_analysis(saved, user=request.user)
    except InvalidInput as exc:
        messages.error(request, " ".join(" ".join(errors) for errors in exc.errors.values()))
    else:
        messages.success(request, _("Analyse « %(name)s » supprimée.") % {"name": saved.name})
    return redirect(safe_next(request, reverse("stats:analysis")))
