"""The staff admin: reached only by staff who signed in through the portal (password + SMS code)."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _


class StaffAdminSite(admin.AdminSite):
    site_header = _("Absher: staff")
    site_title = _("Absher staff")
    index_title = _("Queues and records")

    def has_permission(self, request):
        return bool(request.user.is_active and request.user.is_staff)

    def get_urls(self):
        return [path("dashboard/", self.admin_view(self.dashboard_view), name="staff_dashboard")] + super().get_urls()

    def dashboard_view(self, request):
        from .staff_dashboard import dashboard

        return dashboard(request, self)

    def each_context(self, request):
        from .staff_dashboard import may_see_dashboard

        context = super().each_context(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated and may_see_dashboard(request.user):
            context["staff_dashboard_url"] = reverse("admin:staff_dashboard", current_app=self.name)
        return context

    def login(self, request, extra_context=None):
        # Every portal session has passed the one-time code, so the admin has no login of its
        # own. A signed-in citizen is told nothing: the admin does not exist for them.
        if request.user.is_authenticated:
            raise Http404
        target = request.GET.get("next") or request.path
        return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': target})}")


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Records that only the services write (audit, views of personal data, attempts, links):
    staff read them in the admin and can neither add, change nor delete one."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
