from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .models import AccountState


def active_account_required(view):
    """E-services wait for activation: a signed-in `registered` account is told how to activate."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.state != AccountState.ACTIVE:
            return render(request, "accounts/activation_required.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
