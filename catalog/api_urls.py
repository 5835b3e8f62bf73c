from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("vat-rates", api.VatRateViewSet)
router.register("categories", api.CategoryViewSet)
router.register("products", api.ProductViewSet)
router.register("price-lists", api.PriceListViewSet)
router.register("price-list-items", api.PriceListItemViewSet)

urlpatterns = router.urls
