from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

api_v1 = [
    path("", include("catalog.api_urls")),
    path("", include("crm.api_urls")),
    path("", include("stock.api_urls")),
    path("", include("purchasing.api_urls")),
    path("", include("sales.api_urls")),
    path("", include("dunning.api_urls")),
    path("stats/", include("stats.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.global_search, name="search"),
    path("health/", views.health, name="health"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/me/", views.account, name="account"),
    path("accounts/me/tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
    path("settings/company/", views.company_detail, name="company"),
    path("settings/company/edit/", views.company_edit, name="company_edit"),
    path("jobs/", include("lmb.job_urls")),
    path("imports/<slug:kind>/", views.import_start, name="import_start"),
    path("imports/job/<int:pk>/", views.import_preview, name="import_preview"),
    path("imports/job/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("imports/job/<int:pk>/cancel/", views.import_cancel, name="import_cancel"),
    path("imports/job/<int:pk>/rejected.<str:fmt>", views.import_rejected, name="import_rejected"),
    path("catalog/", include("catalog.urls")),
    path("crm/", include("crm.urls")),
    path("stock/", include("stock.urls")),
    path("purchasing/", include("purchasing.urls")),
    path("sales/", include("sales.urls")),
    path("accounting/", include("accounting.urls")),
    path("dunning/", include("dunning.urls")),
    path("stats/", include("stats.urls")),
    path("connectors/prestashop/", include("connectors.prestashop.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),
    # The admin's own login would bypass the throttled one (and loop for a logged-in non-staff user).
    path("admin/login/", views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    # Only the company logo is served from /media/ (to logged-in users); attachments and job
    # results go through views that check permissions and force a download.
    path(
        f"{settings.MEDIA_URL.strip('/')}/company/<path:path>",
        serve,
        {"document_root": f"{settings.MEDIA_ROOT}/company"},
        name="company_media",
    ),
]

handler400 = "lmb.views.bad_request"
handler403 = "lmb.views.permission_denied"
handler404 = "lmb.views.page_not_found"
handler500 = "lmb.views.server_error"
