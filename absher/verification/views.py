"""The public verification page (no sign-in): genuine or refused, and only what the document shows."""

from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from absher.request_info import client_address

from .documents import Outcome, check

# Checks per client address in a window: a person scanning documents never comes near it; a script
# walking references does, and learns nothing from the refusals in any case.
RATE_LIMIT = 30
RATE_WINDOW_SECONDS = 60
ROBOTS = "noindex, nofollow, noarchive"


def _over_limit(request) -> bool:
    window = int(timezone.now().timestamp()) // RATE_WINDOW_SECONDS
    key = f"verification:{client_address(request)}:{window}"
    if cache.add(key, 1, RATE_WINDOW_SECONDS + 5):
        return False
    try:
        return cache.incr(key) > RATE_LIMIT
    except ValueError:  # expired between the two calls
        return False


def _answer(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = ROBOTS
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def verify(request):
    if _over_limit(request):
        return _answer(render(request, "verify/verify.html", {"outcome": "limited"}, status=429))
    outcome, document = check(request.GET.get("d", ""), request.GET.get("s", ""))
    context = {"outcome": str(outcome), "document": document, "genuine": outcome == Outcome.GENUINE}
    return _answer(render(request, "verify/verify.html", context))
