from django.urls import path

from . import views

app_name = "stats"

urlpatterns = [
    path("", views.analysis, name="analysis"),
    path("analysis/export.<str:fmt>", views.analysis_export, name="analysis_export"),
    path("analyses/", views.save_analysis, name="save_analysis"),
    path("analyses/<int:pk>/", views.open_analysis, name="open_analysis"),
    path("analyses/<int:pk>/delete/", views.delete_analysis, name="delete_analysis"),
]
