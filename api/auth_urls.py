from django.urls import path

from . import auth

urlpatterns = [
    path("sign-in/", auth.SignInView.as_view(), name="sign-in"),
    path("sign-in/code/", auth.SignInCodeView.as_view(), name="sign-in-code"),
    path("sign-in/resend/", auth.SignInResendView.as_view(), name="sign-in-resend"),
    path("token/refresh/", auth.RefreshView.as_view(), name="token-refresh"),
    path("sign-out/", auth.SignOutView.as_view(), name="sign-out"),
]
