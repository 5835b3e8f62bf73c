"""Label sheets, included under /stock/labels/ in the ``stock`` namespace."""

from django.urls import path

from . import label_views

urlpatterns = [
    path("", label_views.label_create, name="label_create"),
    path("preview/", label_views.label_preview, name="label_preview"),
]
