"""Request inbox actions: each one transaction with its audit row; files and SMS after commit."""

import uuid
from datetime import date

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from absher.audit import audit_record

from . import notifications, statuses, storage
from .exceptions import ReasonRequired, ReplyNotExpected, RequestTypeClosed, TransitionNotAllowed
from .inbox import behaviour_for
from .models import (
    Attachment,
    Department,
    PersonDataAccess,
    RequestEvent,
    RequestMessage,
    RequestStatus,
    RequestType,
    ServiceRequest,
)

REFERENCE_PREFIX = {Department.CIVIL_AFFAIRS: "CA", Department.PASSPORTS: "PS"}


def reference_for(request: ServiceRequest) -> str:
    return f"{REFERENCE_PREFIX.get(request.department, 'RQ')}-{request.created_at:%Y}-{request.pk:06d}"


def _check_files(files, *, already_attached: int = 0):
    from .uploads import check_uploads

    return check_uploads(list(files), already_attached=already_attached) if files else []


def _attach(request, checked_files, *, uploaded_by, message=None) -> list[str]:
    """Stage the checked files and write their rows; the files join the store on commit."""
    names = []
    try:
        for checked in checked_files:
            name = storage.stage(checked.content, checked.extension)
            names.append(name)
            Attachment.objects.create(
                request=request,
                message=message,
                stored_name=name,
                display_name=checked.display_name,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                uploaded_by=uploaded_by,
            )
    except BaseException:
        storage.discard(names)
        raise
    storage.commit_on_success(names)
    return names


def request_submit(
    *,
    applicant,
    request_type: RequestType,
    data: dict,
    description: str,
    files=(),
    submission_key: uuid.UUID,
    client_address: str = "",
    today: date | None = None,
) -> ServiceRequest:
    """File a request: all or nothing. The same submission key twice gives the same request."""
    today = today or timezone.localdate()
    existing = ServiceRequest.objects.filter(applicant=applicant, submission_key=submission_key).first()
    if existing:
        return existing
    if not request_type.is_active:
        raise RequestTypeClosed()
    behaviour = behaviour_for(request_type.code)
    behaviour.check(applicant=applicant, data=data, today=today)
    checked = _check_files(files)
    staged: list[str] = []
    try:
        with transaction.atomic():
            # One submission at a time per applicant, and the type's checks again under that lock,
            # so that two different submissions cannot both pass a "one open request" rule.
            get_user_model().objects.select_for_update().filter(pk=applicant.pk).first()
            behaviour.check(applicant=applicant, data=data, today=today)
            request = ServiceRequest.objects.create(
                request_type=request_type,
                department=request_type.department,
                applicant=applicant,
                subject=behaviour.subject(applicant=applicant, data=data),
                description=description,
                data=data,
                submission_key=submission_key,
            )
            request.reference = reference_for(request)
            request.save(update_fields=["reference"])
            RequestEvent.objects.create(request=request, to_status=RequestStatus.SUBMITTED, actor=applicant)
            staged = _attach(request, checked, uploaded_by=applicant)
            audit_record(
                action="request_submitted", actor=applicant, subject=applicant, client_address=client_address,
                reference=request.reference, type=request_type.code, files=len(checked),
            )
            notifications.notify_status(request)
    except IntegrityError:
        # A double click or a resubmitted form raced this one: the first request stands.
        storage.discard(staged)
        existing = ServiceRequest.objects.filter(applicant=applicant, submission_key=submission_key).first()
        if existing is None:
            raise
        return existing
    except BaseException:
        # Any fault after staging: no row points to the files, so none is kept.
        storage.discard(staged)
        raise
    return request


def request_transition(*, request: ServiceRequest, to_status: str, actor, note: str = "", today: date | None = None,
                       client_address: str = "") -> ServiceRequest:
    """Move a request along the status table; approval runs the type's behaviour in the same transaction."""
    today = today or timezone.localdate()
    with transaction.atomic():
        request = ServiceRequest.objects.select_for_update(of=("self",)).select_related("request_type", "applicant").get(
            pk=request.pk
        )
        if not statuses.can_move(request.status, to_status):
            raise TransitionNotAllowed(request.status, to_status)
        if to_status in statuses.BY_APPLICANT_ONLY and getattr(actor, "pk", None) != request.applicant_id:
            raise TransitionNotAllowed(request.status, to_status)
        if to_status == RequestStatus.REJECTED and not note.strip():
            raise ReasonRequired()
        if to_status == RequestStatus.APPROVED:
            behaviour_for(request.request_type.code).approve(request=request, actor=actor, today=today)
        previous = request.status
        request.status = to_status
        if to_status == RequestStatus.IN_REVIEW and request.assigned_to_id is None and getattr(actor, "is_staff", False):
            request.assigned_to = actor
        if to_status in statuses.FINAL and to_status != RequestStatus.WITHDRAWN:
            # A withdrawal ends the request but decides nothing: no decision time, no reason.
            request.decided_at = timezone.now()
            request.decision_reason = note
        request.save()
        RequestEvent.objects.create(request=request, from_status=previous, to_status=to_status, actor=actor, note=note)
        audit_record(
            action="request_status_changed", actor=actor, subject=request.applicant, client_address=client_address,
            reference=request.reference, from_status=previous, to_status=to_status,
        )
        notifications.notify_status(request)
    return request


def request_take(*, request: ServiceRequest, actor, client_address: str = "") -> ServiceRequest:
    """A staff member takes a submitted request into review."""
    return request_transition(request=request, to_status=RequestStatus.IN_REVIEW, actor=actor, client_address=client_address)


def message_post(*, request: ServiceRequest, author, body: str, files=(), client_address: str = "") -> RequestMessage:
    """A message in the thread. A citizen answers while the request waits for them, which
    sends it back to review; a staff message reaches the citizen by notice and SMS."""
    from_staff = bool(author.is_staff) and author.pk != request.applicant_id
    if not from_staff and request.status != RequestStatus.WAITING_CITIZEN:
        raise ReplyNotExpected()
    if from_staff and request.status not in statuses.OPEN:
        raise TransitionNotAllowed(request.status, request.status)
    already = request.attachments.count()
    checked = _check_files(files, already_attached=already)
    with transaction.atomic():
        locked = ServiceRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        message = RequestMessage.objects.create(request=locked, author=author, from_staff=from_staff, body=body)
        _attach(locked, checked, uploaded_by=author, message=message)
        audit_record(
            action="request_message", actor=author, subject=request.applicant, client_address=client_address,
            reference=request.reference, from_staff=from_staff, files=len(checked),
        )
        if from_staff:
            notifications.notify_message(locked)
        else:
            request_transition(request=locked, to_status=RequestStatus.IN_REVIEW, actor=author, client_address=client_address)
        locked.save(update_fields=["updated_at"])
    return message


def request_ask_citizen(*, request: ServiceRequest, actor, body: str, files=(), client_address: str = "") -> ServiceRequest:
    """Staff ask for more information: a message, and the request waits for the citizen."""
    with transaction.atomic():
        message_post(request=request, author=actor, body=body, files=files, client_address=client_address)
        return request_transition(
            request=request, to_status=RequestStatus.WAITING_CITIZEN, actor=actor, note=body, client_address=client_address
        )


def request_withdraw(*, request: ServiceRequest, applicant, client_address: str = "") -> ServiceRequest:
    """The applicant withdraws an open request: it becomes "withdrawn", a final status no one
    moves out of (statuses.TRANSITIONS); only the applicant may do it."""
    return request_transition(
        request=request, to_status=RequestStatus.WITHDRAWN, actor=applicant, client_address=client_address,
    )


def notices_mark_read(*, user, request: ServiceRequest | None = None) -> int:
    from absher.notifications.services import notices_mark_read as mark_read

    return mark_read(user=user, source=notifications.SOURCE, subject=request)


def staff_view_record(*, staff, what: str, reason: str, person=None, request=None, attachment=None) -> None:
    """Record that a staff member saw a person's data (shown to that person on their own page)."""
    if request is not None and person is None:
        person = request.applicant.person if request.applicant.person_id else None
    PersonDataAccess.objects.create(
        staff=staff, person=person, request=request, attachment=attachment, what=what, reason=reason[:200]
    )
    audit_record(action="staff_viewed_data", actor=staff, subject=request.applicant if request else None,
                 what=what, reference=getattr(request, "reference", ""))


def attachments_sweep(*, older_than_seconds: int = 3600) -> dict:
    def referenced(names: list[str]) -> set[str]:
        # A page of the listing at a time, on the unique index: never every name of the store at once.
        return set(Attachment.objects.filter(stored_name__in=names).values_list("stored_name", flat=True))

    return storage.sweep(referenced=referenced, older_than_seconds=older_than_seconds)
