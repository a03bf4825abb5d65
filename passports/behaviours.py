"""The passports department's request types, as the civil-affairs inbox sees them.

Registered in PassportsConfig.ready. A sponsor asks the department to cancel an absence
report (only the department may, within 15 days of the report); an officer approves it in the
department's queue, and the approval calls the same service the admin action does.
"""

from datetime import date

from django import forms
from django.utils.translation import get_language, gettext, gettext_lazy

from absher.forms import DigitsField
from civil_affairs.identity import validate_id_number
from civil_affairs.inbox import Refusal, RequestBehaviour, RequestNotAllowed
from civil_affairs.models import ServiceRequest
from civil_affairs.statuses import OPEN
from civil_affairs.templatetags.calendars import dual_date

from .exceptions import ServiceRefused
from .models import AbscondingReport
from .reasons import reason_texts
from .rules import absconding as absconding_rules

CANCEL_REPORT = "absconding_report_cancel"
GENERAL_INQUIRY = "passports_inquiry"
FIELD = "worker_national_id"
NO_REPORT = "no_report"
PENDING_REQUEST = "pending_request"


class CancelReportForm(forms.Form):
    worker_national_id = DigitsField(
        label=gettext_lazy("Worker's iqama number"),
        help_text=gettext_lazy("The 10 digits of the iqama number of the worker you reported."),
        max_length=10,
        error_messages={"required": gettext_lazy("Enter the worker's iqama number.")},
    )

    def clean_worker_national_id(self):
        number = self.cleaned_data["worker_national_id"]
        validate_id_number(number)
        return number


def _language() -> str:
    return "ar" if (get_language() or "ar").startswith("ar") else "en"


def _report(applicant, data) -> AbscondingReport | None:
    number = str((data or {}).get(FIELD) or "")
    if not number or not applicant.person_id:
        return None
    return (
        AbscondingReport.objects.filter(worker__national_id=number, sponsor_id=applicant.person_id)
        .select_related("worker")
        .first()
    )


def _not_allowed(codes, texts) -> RequestNotAllowed:
    return RequestNotAllowed(Refusal(reasons=tuple(codes), messages=tuple(texts)))


class CancelAbscondingReportRequest(RequestBehaviour):
    code = CANCEL_REPORT
    form_class = CancelReportForm

    def subject(self, *, applicant, data):
        report = _report(applicant, data)
        return report.worker if report else None

    def _check_report(self, report, *, today: date):
        if report is None:
            # The same words for an unknown number and someone else's worker.
            raise _not_allowed((NO_REPORT,), (gettext("You have not reported a worker with this iqama number."),))
        decision = absconding_rules.cancellation_decide(status=report.status, reported_on=report.reported_on, today=today)
        if not decision.allowed:
            raise _not_allowed(decision.reasons, reason_texts(decision))

    def check(self, *, applicant, data, today):
        report = _report(applicant, data)
        self._check_report(report, today=today)
        pending = ServiceRequest.objects.filter(
            applicant=applicant, subject=report.worker, request_type__code=CANCEL_REPORT, status__in=OPEN
        ).exists()
        if pending:
            raise _not_allowed((PENDING_REQUEST,), (gettext("You already have a request to cancel this report."),))

    def approve(self, *, request, actor, today):
        from . import services

        report = _report(request.applicant, request.data)
        self._check_report(report, today=today)
        try:
            services.absconding_report_cancel(report=report, actor=actor, today=today,
                                              note=f"request {request.reference}")
        except ServiceRefused as exc:
            raise _not_allowed(exc.decision.reasons, reason_texts(exc.decision)) from None

    def summary(self, *, request):
        report = _report(request.applicant, request.data)
        if report is None:
            return [(gettext("Worker's iqama number"), str(request.data.get(FIELD, "")))]
        return [
            (gettext("Worker"), f"{report.worker.national_id} {report.worker.display_name(_language())}"),
            (gettext("Report number"), report.reference),
            (gettext("Reported on"), dual_date(report.reported_on)),
            (gettext("Can be cancelled until"), dual_date(report.cancellable_until)),
            (gettext("Status"), report.get_status_display()),
        ]
