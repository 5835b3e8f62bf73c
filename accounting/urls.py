from django.urls import path

from . import views

app_name = "accounting"

urlpatterns = [
    path("", views.exports, name="exports"),
    path("fec/", views.fec_download, name="fec_download"),
    path("period-export/", views.period_export, name="period_export"),
    path("accounts/", views.AccountListView.as_view(), name="account_list"),
    path("accounts/new/", views.account_edit, name="account_create"),
    path("accounts/<int:pk>/", views.account_edit, name="account_edit"),
    path("mapping/", views.MappingListView.as_view(), name="mapping_list"),
    path("mapping/new/", views.mapping_edit, name="mapping_create"),
    path("mapping/<int:pk>/", views.mapping_edit, name="mapping_edit"),
    path("entries/", views.EntryLineListView.as_view(), name="entry_list"),
    path("entries/post-pending/", views.post_pending, name="post_pending"),
    path("fiscal-years/", views.fiscal_years, name="fiscal_years"),
    path("periods/<int:pk>/<str:action>/", views.period_action, name="period_action"),
    path("lettering/", views.lettering_screen, name="lettering"),
]
