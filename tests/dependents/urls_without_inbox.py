"""The same, without the request inbox's urls: the page must still render (no 'add' link)."""

from tests.dependents.urls import handler403, handler404, handler500  # noqa: F401
from tests.dependents.urls import urlpatterns as with_inbox

urlpatterns = [pattern for pattern in with_inbox if getattr(pattern, "namespace", None) != "civil_affairs"]
