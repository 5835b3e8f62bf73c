from rest_framework.routers import DefaultRouter

from . import api
from .till import api as till_api

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
# Till (s5)
router.register("till/registers", till_api.RegisterViewSet)
router.register("till/sessions", till_api.TillSessionViewSet)
router.register("till/tickets", till_api.TicketViewSet)
router.register("till/closures", till_api.ClosureViewSet)
router.register("till/events", till_api.TillEventViewSet)

urlpatterns = router.urls
