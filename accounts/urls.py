from django.urls import path

from . import views

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
    path("welcome/", views.welcome, name="welcome"),
    path("activation/", views.activation_help, name="activation-help"),
    path("terms/", views.terms, name="terms"),
]
