from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("supplier-prices", api.SupplierPriceViewSet)
router.register("supplier-orders", api.SupplierOrderViewSet)
router.register("supplier-order-lines", api.SupplierOrderLineViewSet)
router.register("receptions", api.ReceptionViewSet)
router.register("supplier-invoices", api.SupplierInvoiceViewSet)

urlpatterns = router.urls
