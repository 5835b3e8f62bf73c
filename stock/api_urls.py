from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("warehouses", api.WarehouseViewSet)
router.register("locations", api.LocationViewSet)
router.register("stock-settings", api.StockSettingViewSet)
router.register("stock-levels", api.StockLevelViewSet)
router.register("stock-moves", api.StockMoveViewSet)
router.register("inventories", api.InventoryViewSet)

urlpatterns = router.urls
