from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_POST

from . import dashboard
from .catalogue import service_catalogue
from .middleware import error_reference, remember_language


def home(request):
    """The public home with the service catalogue; signed in, the citizen's dashboard above it."""
    context = {"catalogue": service_catalogue()}
    if request.user.is_authenticated:
        language = "ar" if (get_language() or "ar").startswith("ar") else "en"
        context["dashboard"] = dashboard.dashboard_for(request.user, today=timezone.localdate(), language=language)
    return render(request, "home.html", context)


def contact(request):
    return render(request, "contact.html")


@require_POST
def set_language(request):
    """The switcher: remembers the choice in a cookie and on the account of a signed-in user."""
    language = request.POST.get("language")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in dict(settings.LANGUAGES):
        remember_language(response, language)
        remember = getattr(request.user, "remember_language", None)
        if remember:
            remember(language)
    return response


def csrf_failure(request, reason=""):
    return render(request, "errors/403_csrf.html", status=403)


def page_not_found(request, exception):
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception):
    return render(request, "errors/403.html", status=403)


@requires_csrf_token
def server_error(request):
    return render(request, "errors/500.html", {"reference": error_reference(request)}, status=500)
