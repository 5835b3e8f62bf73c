from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("analyses", api.SavedAnalysisViewSet, basename="saved-analysis")

urlpatterns = [
    path("analysis/", api.AnalysisViewSet.as_view({"get": "run"}), name="analysis"),
    *router.urls,
]
