"""The citizen's side of the request inbox: thin views over civil_affairs.services."""

import json
import re
from datetime import date

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from absher.request_info import client_address
from accounts.decorators import active_account_required

from . import selectors, services, statuses, storage
from .exceptions import InboxError
from .forms import ReplyForm, request_form_class
from .inbox import RequestNotAllowed, behaviour_for
from .models import RequestStatus, RequestType
from .statuses import OPEN


def _json_ready(data: dict) -> dict:
    """Cleaned form data as JSON (dates as ISO strings); files never go into it."""
    ready = {}
    for key, value in data.items():
        if key in {"description", "files", "submission_key"}:
            continue
        ready[key] = value.isoformat() if isinstance(value, date) else value
    json.dumps(ready)
    return ready


def _upload_errors(form, exc):
    for refusal in getattr(exc, "refusals", [exc]):
        form.add_error("files", refusal.message())


@active_account_required
def home(request):
    """My services → Civil Affairs."""
    return render(request, "civil_affairs/home.html", {"notices": selectors.unread_notices(request.user)[:5]})


REQUESTS_PER_PAGE = 20


@active_account_required
def request_list(request):
    from absher.pagination import page_of

    page = page_of(selectors.request_rows_of(request.user), REQUESTS_PER_PAGE, request.GET.get("page"),
                   row=selectors.request_row)
    requests = page.object_list
    _label_statuses(requests, "status")
    return render(request, "civil_affairs/request_list.html", {"requests": requests, "page": page})


@active_account_required
def request_type_list(request):
    """Communicate → New request: the types, with their requirements shown before filing; a type
    whose checks already refuse this citizen (they need no form) says why, with no way into its form."""
    request_types = list(selectors.open_request_types())
    today = timezone.localdate()
    for request_type in request_types:
        request_type.refusal = None
        try:
            behaviour_for(request_type.code).precheck(applicant=request.user, today=today)
        except RequestNotAllowed as exc:
            request_type.refusal = exc.refusal
    return render(request, "civil_affairs/request_type_list.html", {"request_types": request_types})


@active_account_required
def request_new(request, code):
    from .uploads import UploadRefused, UploadsRefused

    request_type = get_object_or_404(RequestType.objects.prefetch_related("requirements"), code=code, is_active=True)
    behaviour = behaviour_for(code)
    today = timezone.localdate()
    # What needs nothing from the form is checked before it: a refused citizen never fills it in.
    try:
        behaviour.precheck(applicant=request.user, today=today)
    except RequestNotAllowed as exc:
        return _refused(request, request_type, exc.refusal)
    chosen = None
    if behaviour.choice_field and request.method != "POST":
        value = request.GET.get(behaviour.choice_field, "").strip()
        choices = behaviour.choices(applicant=request.user, today=today)
        chosen = next((choice for choice in choices if choice.value == value), None) if value else None
        if chosen is None:
            # Nothing picked yet, or a value that is not one of the choices: the list, each with its state.
            return render(
                request, behaviour.choice_template,
                {"request_type": request_type, "choices": choices, "picked": value, "choice_field": behaviour.choice_field,
                 "explanation_template": behaviour.explanation_template},
            )
        if chosen.refusal is not None:
            return _refused(request, request_type, chosen.refusal, back_to_choices=True)
        # The same checks as on submit, on the one picked (they read the registry afresh).
        try:
            behaviour.check_choice(applicant=request.user, value=value, today=today)
        except RequestNotAllowed as exc:
            return _refused(request, request_type, exc.refusal, back_to_choices=True)
    form_class = request_form_class(behaviour.form_class)
    form = form_class(request.POST or None, request.FILES or None,
                      initial={behaviour.choice_field: chosen.value} if chosen else None)
    if behaviour.choice_field in form.fields:
        # Picked before the form (the list of choices): carried, not typed.
        form.fields[behaviour.choice_field].widget = forms.HiddenInput()
    if request.method == "POST" and form.is_valid():
        try:
            filed = services.request_submit(
                applicant=request.user,
                request_type=request_type,
                data=_json_ready(form.cleaned_data),
                description=form.cleaned_data["description"],
                files=form.cleaned_data["files"],
                submission_key=form.cleaned_data["submission_key"],
                client_address=client_address(request),
            )
        except RequestNotAllowed as exc:
            # Checked again on submit (the registry may have changed since the form was shown).
            return _refused(request, request_type, exc.refusal, back_to_choices=bool(behaviour.choice_field))
        except (UploadRefused, UploadsRefused) as exc:
            _upload_errors(form, exc)
        except InboxError as exc:
            form.add_error(None, exc.message())
        else:
            messages.success(request, _("Your request %(reference)s was sent.") % {"reference": filed.reference})
            return redirect("civil_affairs:request-detail", reference=filed.reference)
    if behaviour.choice_field and chosen is None and request.method == "POST":
        # The form again (a missing description, a refused file): with whom it is about.
        value = str(request.POST.get(behaviour.choice_field, ""))
        chosen = next((c for c in behaviour.choices(applicant=request.user, today=today) if c.value == value), None)
    return render(
        request, "civil_affairs/request_new.html",
        {"form": form, "request_type": request_type, "requirements": request_type.requirements.all(),
         "person": request.user.person, "explanation_template": behaviour.explanation_template,
         "chosen": chosen, "choice_field": behaviour.choice_field},
    )


def _refused(request, request_type, refusal, *, back_to_choices: bool = False):
    """Ineligibility is a page that explains why and what to do, not a red field."""
    return render(
        request, "civil_affairs/request_refused.html",
        {"request_type": request_type, "refusal": refusal, "back_to_choices": back_to_choices}, status=200,
    )


def _label_statuses(rows, field: str) -> None:
    """Give each row a `status_label`: each status translated once a page, where
    get_FOO_display translates every status of the field again for each row."""
    labels = {value: str(label) for value, label in RequestStatus.choices}
    for row in rows:
        value = getattr(row, field)
        row.status_label = labels.get(value, value)


_CODE = re.compile(r"[A-Z0-9][A-Z0-9+\-/]*")


def summary_rows(summary) -> list[tuple[str, str, bool]]:
    """A behaviour's label/value pairs, each value marked when it is a number or a code (an ID
    number, a reference), which the page isolates left to right and never wraps."""
    return [(label, value, bool(_CODE.fullmatch(str(value)))) for label, value in summary]


def _detail_page(request, own, *, reply_form=None):
    """One request: its data, timeline, thread and attachments; the reply box while it waits."""
    if reply_form is None and own.status == "waiting_citizen":
        reply_form = ReplyForm()
    events = list(own.events.all())
    _label_statuses(events, "to_status")
    _label_statuses([own], "status")
    thread = list(own.messages.prefetch_related("attachments"))
    asked = next((message for message in reversed(thread) if message.from_staff), None)
    return render(
        request, "civil_affairs/request_detail.html",
        {
            "req": own,
            "summary": summary_rows(behaviour_for(own.request_type.code).summary(request=own)),
            "events": events,
            "step": statuses.request_step(own.status),
            "what_next": statuses.what_happens_next(own.status),
            "asked": asked if own.status == RequestStatus.WAITING_CITIZEN else None,
            "withdrawn": next((e for e in reversed(events) if e.to_status == RequestStatus.WITHDRAWN), None),
            "thread": thread,
            "attachments": own.attachments.filter(message=None),
            "reply_form": reply_form,
            "form": reply_form if reply_form is not None and reply_form.is_bound else None,
            "can_withdraw": own.status in OPEN,
        },
    )


@active_account_required
def request_detail(request, reference):
    own = selectors.request_of(request.user, reference)
    if own is None:
        raise Http404
    services.notices_mark_read(user=request.user, request=own)
    return _detail_page(request, own)


@active_account_required
@require_POST
def request_reply(request, reference):
    from .uploads import UploadRefused, UploadsRefused

    own = selectors.request_of(request.user, reference)
    if own is None:
        raise Http404
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.message_post(
                request=own, author=request.user, body=form.cleaned_data["body"], files=form.cleaned_data["files"],
                client_address=client_address(request),
            )
        except (UploadRefused, UploadsRefused) as exc:
            _upload_errors(form, exc)
        except InboxError as exc:
            form.add_error(None, exc.message())
        else:
            messages.success(request, _("Your reply was sent."))
            return redirect("civil_affairs:request-detail", reference=reference)
    return _detail_page(request, own, reply_form=form)


@active_account_required
def request_withdraw(request, reference):
    """Withdraw a request: a page that asks first (GET), the withdrawal itself on its POST."""
    own = selectors.request_of(request.user, reference)
    if own is None:
        raise Http404
    if own.status not in OPEN:
        messages.info(request, _("This request can no longer be withdrawn."))
        return redirect("civil_affairs:request-detail", reference=reference)
    if request.method == "POST":
        try:
            services.request_withdraw(request=own, applicant=request.user, client_address=client_address(request))
        except InboxError as exc:
            messages.error(request, exc.message())
        else:
            messages.success(request, _("Your request was withdrawn."))
        return redirect("civil_affairs:request-detail", reference=reference)
    return render(request, "civil_affairs/request_withdraw.html", {"req": own})


def attachment_response(attachment):
    """The file under its server-chosen name, never shown inline, with an allow-listed type."""
    allowed = {"application/pdf", "image/jpeg", "image/png"}
    content_type = attachment.content_type if attachment.content_type in allowed else "application/octet-stream"
    try:
        stored = storage.open_stored(attachment.stored_name)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(stored.handle, as_attachment=True, filename=attachment.display_name,
                            content_type=content_type)
    if stored.size is not None and not response.has_header("Content-Length"):
        response["Content-Length"] = str(stored.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@active_account_required
def attachment_download(request, reference, attachment_id):
    attachment = selectors.attachment_of(request.user, reference, attachment_id)
    if attachment is None:
        raise Http404
    return attachment_response(attachment)


@active_account_required
def data_access_list(request):
    """Who from the ministry looked at my data, when, and for which request."""
    person = request.user.person
    views = selectors.staff_views_of(person)[:200] if person else []
    return render(request, "civil_affairs/data_access_list.html", {"views": views, "today": timezone.localdate()})
