from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("third-parties", api.ThirdPartyViewSet)
router.register("addresses", api.AddressViewSet)
router.register("contacts", api.ContactViewSet)
router.register("timeline-entries", api.TimelineEntryViewSet)
router.register("tasks", api.TaskViewSet)

urlpatterns = router.urls
