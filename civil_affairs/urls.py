from django.urls import path

from . import views

app_name = "civil_affairs"

urlpatterns = [
    path("", views.home, name="home"),
    path("requests/", views.request_list, name="request-list"),
    path("requests/new/", views.request_type_list, name="request-type-list"),
    path("requests/new/<slug:code>/", views.request_new, name="request-new"),
    path("requests/<str:reference>/", views.request_detail, name="request-detail"),
    path("requests/<str:reference>/reply/", views.request_reply, name="request-reply"),
    path("requests/<str:reference>/withdraw/", views.request_withdraw, name="request-withdraw"),
    path("requests/<str:reference>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment-download"),
    path("data-access/", views.data_access_list, name="data-access"),
]
