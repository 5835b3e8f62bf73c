from django.urls import path

from . import views

app_name = "crm"

urlpatterns = [
    path("third-parties/", views.ThirdPartyListView.as_view(), name="thirdparty_list"),
    path("third-parties/new/", views.ThirdPartyCreateView.as_view(), name="thirdparty_create"),
    path("third-parties/suggest/", views.thirdparty_suggest, name="thirdparty_suggest"),
    path("third-parties/<int:pk>/", views.ThirdPartyDetailView.as_view(), name="thirdparty_detail"),
    path("third-parties/<int:pk>/edit/", views.ThirdPartyUpdateView.as_view(), name="thirdparty_update"),
    path("third-parties/<int:pk>/timeline/", views.log_interaction, name="log_interaction"),
    path("third-parties/<int:pk>/timeline/older/", views.timeline_more, name="timeline_more"),
    path("third-parties/<int:third_party_pk>/addresses/new/", views.AddressCreateView.as_view(), name="address_create"),
    path("third-parties/<int:third_party_pk>/addresses/<int:pk>/", views.AddressUpdateView.as_view(), name="address_update"),
    path("third-parties/<int:third_party_pk>/addresses/<int:pk>/delete/", views.address_delete, name="address_delete"),
    path("third-parties/<int:third_party_pk>/contacts/new/", views.ContactCreateView.as_view(), name="contact_create"),
    path("third-parties/<int:third_party_pk>/contacts/<int:pk>/", views.ContactUpdateView.as_view(), name="contact_update"),
    path("third-parties/<int:third_party_pk>/contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("incidents/", views.IncidentListView.as_view(), name="incident_list"),
    path("incidents/<int:pk>/status/", views.incident_status, name="incident_status"),
    path("agenda/", views.agenda, name="agenda"),
    path("tasks/", views.TaskListView.as_view(), name="task_list"),
    path("tasks/new/", views.TaskCreateView.as_view(), name="task_create"),
    path("tasks/<int:pk>/", views.TaskUpdateView.as_view(), name="task_update"),
    path("tasks/<int:pk>/done/", views.task_complete, name="task_complete"),
    path("email-templates/", views.email_templates, name="email_templates"),
    path("email-templates/<slug:document_type>/", views.email_template_edit, name="email_template_edit"),
]
