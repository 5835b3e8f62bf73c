"""An analysis as a spreadsheet (xlsx or ods): what was asked written at the top (mode, period,
levels, filters, comparison), one column per level and per measure (and per measure of the
compared period), the nesting as outline levels (a subtotal row above its details, folded and
unfolded in Excel or LibreOffice), real numbers with their number formats, the grand total last.
Every row, read by ``streaming.rows`` a chunk at a time and written by the streaming writers of
``lmb.xlsx`` and ``lmb.ods``: constant memory, however many rows."""

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from lmb.ods import stream_ods
from lmb.spreadsheets import CONTENT_TYPES, ODS, XLSX
from lmb.xlsx import Row, stream_xlsx

from . import queries, streaming
from . import spec as specs

FORMATS = (XLSX, ODS)


def _filter_lines(spec: specs.Spec) -> list[tuple]:
    lines = []
    for level, values in spec.filters.items():
        keys = [int(value) for value in values] if level in specs.ID_LEVELS else list(values)
        if level == "category":
            from catalog.models import Category

            keys = list(Category.objects.filter(pk__in=keys).values_list("path", flat=True))
        labels = queries.label_of(level, keys)
        lines.append((_("Filtre"), str(specs.LEVELS[level]), ", ".join(labels[key] for key in keys)))
    return lines


def preamble(spec: specs.Spec) -> list[tuple]:
    lines = [
        (_("Analyse"), str(specs.MODES[spec.mode])),
        (_("Période"), spec.start, spec.end),
        (_("Niveaux"), " > ".join(str(specs.LEVELS[level]) for level in spec.levels)),
    ]
    if "category" in spec.levels:
        lines.append((_("Profondeur des catégories"), spec.category_depth))
    lines.extend(_filter_lines(spec))
    if spec.comparison_period() is not None:
        start, end = spec.comparison_period()
        lines.append((_("Comparaison"), str(specs.COMPARISONS[spec.compare]), start, end))
    lines.append((_("Édité le"), timezone.localtime().replace(tzinfo=None)))
    lines.append(())
    return lines


def headers(spec: specs.Spec) -> list[str]:
    names = [str(specs.LEVELS[level]) for level in spec.levels]
    names += [str(specs.MEASURES[measure]) for measure in spec.measures]
    if spec.comparison_period() is not None:
        names += [_("%(measure)s (comparaison)") % {"measure": specs.MEASURES[measure]} for measure in spec.measures]
    return names


def rows(spec: specs.Spec):
    width = len(spec.levels)
    compared = spec.comparison_period() is not None

    def figures(values, compare):
        cells = [values.get(measure) for measure in spec.measures]
        if compared:
            cells += [(compare or {}).get(measure) for measure in spec.measures]
        return cells

    for row in streaming.rows(spec):
        labels = [""] * width
        labels[row.depth] = row.label if row.level else _("Total général")
        yield Row(tuple(labels + figures(row.values, row.compare)), level=row.depth)


def response(spec: specs.Spec, fmt: str) -> StreamingHttpResponse:
    name = f"analyse-{spec.mode}-{timezone.localdate():%Y%m%d}.{fmt}"
    sheet = _("Analyse")
    if fmt == ODS:
        chunks = stream_ods(sheet, headers(spec), rows(spec), preamble=preamble(spec))
    else:
        levels = len(spec.levels) - 1
        chunks = stream_xlsx(sheet, headers(spec), rows(spec), preamble=preamble(spec), outline_levels=levels)
    answer = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    answer["Content-Disposition"] = f'attachment; filename="{name}"'
    return answer
