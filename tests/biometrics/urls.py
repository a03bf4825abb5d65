"""The project's urls, with the biometrics pages mounted where the project will mount them."""

from django.urls import include, path

from absher.urls import handler403, handler404, handler500  # noqa: F401
from absher.urls import urlpatterns as project_patterns

urlpatterns = list(project_patterns)
if not any(getattr(pattern, "namespace", None) == "biometrics" for pattern in urlpatterns):
    urlpatterns.append(path("", include("biometrics.urls")))
