from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("receivables", api.ReceivableViewSet, basename="receivable")
router.register("reminders", api.ReminderViewSet)

urlpatterns = [
    # Its own pages (LIMIT/OFFSET in the SQL statement): an action of its own, not a DRF list.
    path("aged-balance/", api.AgedBalanceViewSet.as_view({"get": "report"}), name="aged-balance"),
    *router.urls,
]
