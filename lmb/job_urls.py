"""Background jobs, included under /jobs/ (names ``jobs:detail``, ``jobs:progress``, ``jobs:result``)."""

from django.urls import path

from . import job_views

app_name = "jobs"

urlpatterns = [
    path("<int:pk>/", job_views.job_detail, name="detail"),
    path("<int:pk>/progress/", job_views.job_progress, name="progress"),
    path("<int:pk>/result/", job_views.job_result, name="result"),
]
