"""The analysis screens of the back office (the dashboard is ``stats.dashboard*``)."""

from django.http import HttpResponse

from lmb.access import permission_required
from lmb.errors import InvalidInput

from . import exports, queries
from .spec import parse

SEE_ANALYSES = ("stats.view_salefact",)


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
    return exports.response(queries.run(spec), fmt)
