from django.urls import path

from absher import converters  # noqa: F401  (registers the identifiers' shapes)

from . import views

app_name = "passkeys"

urlpatterns = [
    path("add/", views.add, name="add"),
    path("add/code/", views.AddCodeView.as_view(), name="add-code"),
    path("add/resend/", views.AddResendView.as_view(), name="add-resend"),
    path("add/create/", views.add_create, name="add-create"),
    path("add/options/", views.add_options, name="add-options"),
    path("add/finish/", views.add_finish, name="add-finish"),
    path("<id:pk>/rename/", views.rename, name="rename"),
    path("<id:pk>/remove/", views.remove, name="remove"),
    path("sign-in/options/", views.sign_in_options, name="sign-in-options"),
    path("sign-in/", views.sign_in, name="sign-in"),
    path("second-step/options/", views.second_step_options, name="second-step-options"),
    path("second-step/", views.second_step, name="second-step"),
]
