from django.urls import path

from . import views, views_privacy

app_name = "accounts"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/confirm/", views.RegistrationConfirmView.as_view(), name="register-confirm"),
    path("register/resend/", views.RegistrationResendView.as_view(), name="register-resend"),
    path("login/", views.login_view, name="login"),
    path("login/code/", views.LoginVerifyView.as_view(), name="login-verify"),
    path("login/resend/", views.LoginResendView.as_view(), name="login-resend"),
    path("logout/", views.logout_view, name="logout"),
    path("password/reset/", views.password_reset, name="password-reset"),
    path("password/reset/code/", views.PasswordResetVerifyView.as_view(), name="password-reset-verify"),
    path("password/reset/resend/", views.PasswordResetResendView.as_view(), name="password-reset-resend"),
    path("password/reset/new/", views.password_reset_new, name="password-reset-new"),
    path("profile/", views.profile, name="profile"),
    path("profile/language/", views.profile_language, name="profile-language"),
    path("profile/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("profile/password/code/", views.PasswordChangeVerifyView.as_view(), name="password-change-verify"),
    path("profile/password/resend/", views.PasswordChangeResendView.as_view(), name="password-change-resend"),
    path("profile/email/", views.email_change, name="email-change"),
    # The citizen in control (accounts/views_privacy.py): take your data, close your account.
    path("profile/data/", views_privacy.data_page, name="data"),
    path("profile/data.json", views_privacy.data_json, name="data-json"),
    path("profile/data/print/", views_privacy.data_print, name="data-print"),
    path("profile/close/", views_privacy.CloseStartView.as_view(), name="close"),
    path("profile/close/code/", views_privacy.CloseVerifyView.as_view(), name="close-verify"),
    path("profile/close/resend/", views_privacy.CloseResendView.as_view(), name="close-resend"),
    path("closed/", views_privacy.closed, name="closed"),
    path("welcome/", views.welcome, name="welcome"),
    path("activation/", views.activation_help, name="activation-help"),
    path("terms/", views.terms, name="terms"),
]
