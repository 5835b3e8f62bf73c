from django.urls import path

from . import views

app_name = "stats"

urlpatterns = [
    path("", views.analysis, name="analysis"),
    path("analysis/export.<str:fmt>", views.analysis_export, name="analysis_export"),
]
