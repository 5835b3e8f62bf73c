from django.urls import path

from . import views, webhooks

app_name = "prestashop"

urlpatterns = [
    path("", views.channel_list, name="channel_list"),
    path("new/", views.channel_create, name="channel_create"),
    path("<int:pk>/", views.channel_detail, name="channel_detail"),
    path("<int:pk>/edit/", views.channel_edit, name="channel_edit"),
    path("<int:pk>/test/", views.channel_test, name="channel_test"),
    path("<int:pk>/sync/", views.sync_now, name="sync_now"),
    path("issues/", views.issue_list, name="issue_list"),
    path("issues/<int:pk>/", views.issue_detail, name="issue_detail"),
    path("issues/<int:pk>/retry/", views.issue_retry, name="issue_retry"),
    path("issues/<int:pk>/ignore/", views.issue_ignore, name="issue_ignore"),
    path("pushes/<int:pk>/retry/", views.push_retry, name="push_retry"),
    path("<slug:channel>/webhook/", webhooks.webhook, name="webhook"),
]
