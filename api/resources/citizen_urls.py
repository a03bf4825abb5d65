from django.urls import path

from absher import converters  # noqa: F401  (registers the identifiers' shapes)

from . import dependents, notices, profile, requests

urlpatterns = [
    path("profile/", profile.ProfileView.as_view(), name="profile"),
    path("profile/language/", profile.ProfileLanguageView.as_view(), name="profile-language"),
    path("notices/", notices.NoticeListView.as_view(), name="notice-list"),
    path("notices/read/", notices.NoticesReadView.as_view(), name="notices-read"),
    path("dependents/", dependents.DependentListView.as_view(), name="dependent-list"),
    path("request-types/", requests.RequestTypeListView.as_view(), name="request-type-list"),
    path("requests/", requests.RequestListView.as_view(), name="request-list"),
    path("requests/<request_ref:reference>/", requests.RequestDetailView.as_view(), name="request-detail"),
    path("requests/<request_ref:reference>/reply/", requests.RequestReplyView.as_view(), name="request-reply"),
    path("requests/<request_ref:reference>/withdraw/", requests.RequestWithdrawView.as_view(), name="request-withdraw"),
    path(
        "requests/<request_ref:reference>/attachments/<id:attachment_id>/",
        requests.AttachmentDownloadView.as_view(), name="attachment-download",
    ),
]
