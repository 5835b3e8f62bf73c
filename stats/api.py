"""REST API of stats: an analysis as JSON for integrators and BI tools (``GET analysis/``, the
same engine as the screen and the exports), and saved analyses (list, create, read, delete, run
with today's data). Bad parameters answer 400 naming the parameter."""

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from lmb.errors import InvalidInput

from . import queries, services
from .models import SavedAnalysis
from .serializers import AnalysisParametersSerializer, AnalysisSerializer, LimitSerializer, SavedAnalysisSerializer
from .spec import parse, parse_limit

READERS = ["stats.view_salefact"]


class AnalysisViewSet(viewsets.GenericViewSet):
    """Sales (invoices less credit notes, at their dates, in EUR), orders or purchases by one to
    three levels, with subtotals, a grand total and an optional comparison."""

    serializer_class = AnalysisSerializer
    action_permissions = {"run": READERS}
    filter_backends = []
    pagination_class = None

    @extend_schema(parameters=[AnalysisParametersSerializer], responses=AnalysisSerializer)
    def run(self, request):
        spec = parse(request.query_params)
        analysis = queries.run(spec, limit=parse_limit(request.query_params))
        return Response(analysis.as_dict())


class SavedAnalysisViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Analyses saved under a name: one's own and those shared by others."""

    serializer_class = SavedAnalysisSerializer
    queryset = SavedAnalysis.objects.select_related("owner")
    filter_backends = []
    action_permissions = {"run": READERS}

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated:
            return SavedAnalysis.objects.none()
        return super().get_queryset().filter(Q(owner=user) | Q(shared=True)).order_by("name", "pk")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.save_analysis(
            owner=self.request.user, name=data["name"], spec=data["spec"], shared=data.get("shared", False)
        )

    def perform_destroy(self, instance):
        try:
            services.delete_analysis(instance, user=self.request.user)
        except InvalidInput as exc:
            raise PermissionDenied(exc.errors["owner"][0]) from None

    @extend_schema(request=None, responses=AnalysisSerializer, parameters=[LimitSerializer])
    @action(detail=True, methods=["get"])
    def run(self, request, pk=None):
        """The saved analysis run again on today's data (``limit`` as for ``GET analysis/``)."""
        saved = self.get_object()
        limit = parse_limit(request.query_params)
        return Response(queries.run(parse(saved.spec), limit=limit).as_dict())
