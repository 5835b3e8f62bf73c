from django.urls import path

from . import views

app_name = "dunning"

urlpatterns = [
    path("aged-balance/", views.aged_balance, name="aged_balance"),
    path("reminders/", views.reminders_to_validate, name="reminders_to_validate"),
    path("reminders/send/", views.send_reminders, name="send_reminders"),
    path("reminders/run/", views.run_today, name="run_today"),
    path("reminders/<int:pk>/", views.reminder_detail, name="reminder_detail"),
    path("reminders/<int:pk>/send/", views.reminder_send, name="reminder_send"),
    path("reminders/<int:pk>/pdf/", views.reminder_pdf, name="reminder_pdf"),
    path("reminders/print/", views.print_reminders, name="print_reminders"),
    path("reminders/<int:pk>/cancel/", views.reminder_cancel, name="reminder_cancel"),
    path("customers/<int:pk>/", views.customer, name="customer"),
    path("customers/<int:pk>/settings/", views.customer_settings, name="customer_settings"),
    path("customers/<int:pk>/penalties/", views.customer_penalties, name="customer_penalties"),
    path("customers/<int:pk>/disputes/", views.customer_dispute, name="customer_dispute"),
    path("customers/<int:pk>/disputes/<int:invoice_pk>/resolve/", views.dispute_resolve, name="dispute_resolve"),
    path("settings/", views.plans, name="plans"),
    path("settings/steps/<int:pk>/", views.step_edit, name="step_edit"),
    path("settings/rates/", views.rate_save, name="rate_save"),
]
