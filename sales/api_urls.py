from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("channels", api.ChannelViewSet)
router.register("quotes", api.QuoteViewSet)
router.register("quote-lines", api.QuoteLineViewSet)
router.register("orders", api.OrderViewSet)
router.register("order-lines", api.OrderLineViewSet)
router.register("delivery-notes", api.DeliveryNoteViewSet)
router.register("delivery-note-lines", api.DeliveryNoteLineViewSet)
router.register("invoices", api.InvoiceViewSet)
router.register("invoice-lines", api.InvoiceLineViewSet)
router.register("credit-notes", api.CreditNoteViewSet)
router.register("payments", api.PaymentViewSet)
router.register("vouchers", api.VoucherViewSet)

urlpatterns = router.urls
