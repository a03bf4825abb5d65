from django.urls import path

from absher import converters  # noqa: F401  (registers the identifiers' shapes)

from . import decision_views, views

app_name = "civil_affairs"

urlpatterns = [
    path("", views.home, name="home"),
    path("requests/", views.request_list, name="request-list"),
    path("requests/new/", views.request_type_list, name="request-type-list"),
    path("requests/new/<request_type:code>/", views.request_new, name="request-new"),
    path("requests/<request_ref:reference>/", views.request_detail, name="request-detail"),
    path("requests/<request_ref:reference>/reply/", views.request_reply, name="request-reply"),
    path("requests/<request_ref:reference>/decision/", decision_views.decision_detail, name="decision-detail"),
    path("requests/<request_ref:reference>/decision/pdf/", decision_views.decision_pdf, name="decision-pdf"),
    path("requests/<request_ref:reference>/withdraw/", views.request_withdraw, name="request-withdraw"),
    path("requests/<request_ref:reference>/attachments/<id:attachment_id>/", views.attachment_download, name="attachment-download"),
    path("data-access/", views.data_access_list, name="data-access"),
]
