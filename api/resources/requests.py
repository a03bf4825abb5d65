"""Civil affairs requests: the same selectors and services as the citizen's pages (civil_affairs.views).

A request is named by its reference (`CA-2026-000014`), as on the pages; it is found through the
account's own requests, so another citizen's answers 404. New requests and replies are checked by
the pages' forms and the same upload checks (civil_affairs.uploads), and refused with the same
reason codes.
"""

import uuid

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from absher.request_info import client_address
from civil_affairs import selectors, services, statuses
from civil_affairs.exceptions import InboxError, ReplyNotExpected, RequestTypeClosed, TransitionNotAllowed
from civil_affairs.forms import ReplyForm, request_form_class
from civil_affairs.inbox import RequestNotAllowed, behaviour_for
from civil_affairs.models import RequestStatus, RequestType
from civil_affairs.uploads import UploadRefused, UploadsRefused, max_files
from civil_affairs.views import _json_ready, attachment_response

from .. import errors
from ..errors import ApiError
from ..schema import ERRORS
from .serializers_citizen import language
from .serializers_requests import (
    ReplySerializer,
    RequestDetailSerializer,
    RequestListRowSerializer,
    RequestNewSerializer,
    RequestTypeSerializer,
    refusal_data,
)

# The inbox's outcomes as API errors (subclasses before InboxError, which register puts first).
errors.register(InboxError, status.HTTP_400_BAD_REQUEST)
errors.register(RequestTypeClosed, status.HTTP_400_BAD_REQUEST)
errors.register(ReplyNotExpected, status.HTTP_409_CONFLICT)
errors.register(TransitionNotAllowed, status.HTTP_409_CONFLICT)
errors.register(UploadRefused, status.HTTP_400_BAD_REQUEST)

REFERENCE = OpenApiParameter(
    "reference", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^[A-Z]{2}-[0-9]{4}-[0-9]{6,12}$",
    description="The request's reference number, e.g. CA-2026-000014.",
)
ATTACHMENT = OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="An attachment's id.")


def _labels() -> dict:
    return {value: str(label) for value, label in RequestStatus.choices}


# --- refusals: the form's and the upload checks' codes, with the error shape --------------------


def _field_errors(form, own_fields: set[str], prefix: str) -> dict:
    out = {}
    for name, errs in form.errors.as_data().items():
        key = "non_field_errors" if name == "__all__" else (prefix + name if name in own_fields else name)
        out[key] = [{"code": e.code or "invalid", "message": str(m)} for e in errs for m in e.messages]
    return out


def sent_data(request):
    """The request's body, or the error shape when Django's own caps refuse it (they would answer
    with a bare 400 page): more files than DATA_UPLOAD_MAX_NUMBER_FILES, more fields or bytes."""
    try:
        return request.data
    except TooManyFilesSent:
        raise ApiError("too_many_files", UploadRefused("too_many_files", limit=max_files()).message(),
                       status.HTTP_400_BAD_REQUEST) from None
    except (RequestDataTooBig, TooManyFieldsSent):
        raise ApiError("too_large", _("What you sent is too large."), status.HTTP_413_REQUEST_ENTITY_TOO_LARGE) from None


def form_refused(form, own_fields: set[str] = frozenset(), prefix: str = "") -> Response:
    return Response(errors.body("invalid", _("Check the marked fields."), _field_errors(form, own_fields, prefix)),
                    status=status.HTTP_400_BAD_REQUEST)


def uploads_refused(exc: UploadRefused | UploadsRefused) -> Response:
    """Every refused file under `files`, as the page lists them; 413 when size alone refused them."""
    refusals = getattr(exc, "refusals", [exc])
    listed = [{"code": r.code, "message": r.message()} for r in refusals]
    too_large = all(r.code == "too_large" for r in refusals)
    return Response(
        errors.body(refusals[0].code, " ".join(item["message"] for item in listed), {"files": listed}),
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if too_large else status.HTTP_400_BAD_REQUEST,
    )


def not_allowed(exc: RequestNotAllowed) -> Response:
    """Ineligibility: every reason's code and text; the first code is the error's."""
    refusal = exc.refusal
    return Response(errors.body(refusal.reasons[0] if refusal.reasons else "not_allowed",
                                " ".join(str(m) for m in refusal.messages) or _("You may not do this.")),
                    status=status.HTTP_403_FORBIDDEN)


# --- one request, as its page shows it (civil_affairs.views._detail_page) ------------------------


def detail_data(own) -> dict:
    labels = _labels()
    events = list(own.events.all())
    for event in events:
        event.status_label = labels.get(event.to_status, event.to_status)
    thread = list(own.messages.prefetch_related("attachments"))
    asked = next((message for message in reversed(thread) if message.from_staff), None)
    withdrawn = next((e for e in reversed(events) if e.to_status == RequestStatus.WITHDRAWN), None)
    summary = behaviour_for(own.request_type.code).summary(request=own)
    return {
        "reference": own.reference,
        "status": own.status,
        "status_label": labels.get(own.status, own.status),
        "request_type": own.request_type.code,
        "request_type_name": own.request_type.name(language()),
        "subject_name": own.subject.display_name(language()) if own.subject_id else None,
        "description": own.description,
        "summary": [{"label": str(label), "value": str(value)} for label, value in summary],
        "step": statuses.request_step(own.status),
        "what_next": statuses.what_happens_next(own.status),
        "asked": asked if own.status == RequestStatus.WAITING_CITIZEN else None,
        "withdrawn_at": withdrawn.at if withdrawn else None,
        "decision_reason": own.decision_reason if own.status == RequestStatus.REJECTED else "",
        "has_decision": own.status in (RequestStatus.APPROVED, RequestStatus.REJECTED),
        "can_reply": own.status == RequestStatus.WAITING_CITIZEN,
        "can_withdraw": own.status in statuses.OPEN,
        "created_at": own.created_at,
        "updated_at": own.updated_at,
        "decided_at": own.decided_at,
        "attachments": list(own.attachments.filter(message=None)),
        "messages": thread,
        "events": events,
    }


def detail_response(user, reference: str, http_status=status.HTTP_200_OK) -> Response:
    own = selectors.request_of(user, reference)
    return Response(RequestDetailSerializer(detail_data(own)).data, status=http_status)


def own_request(user, reference: str):
    own = selectors.request_of(user, reference)
    if own is None:
        raise ApiError("not_found", _("Not found."), status.HTTP_404_NOT_FOUND)
    return own


# --- filing a request (civil_affairs.views.request_new) -------------------------------------------


def submit(request, *, code: str, data: dict, description: str, submission_key: uuid.UUID, files: list,
           prefix: str = "data.") -> Response:
    """File a request of type `code` with the page's form and service; its page as the answer (201)."""
    request_type = RequestType.objects.filter(code=code, is_active=True).first()
    if request_type is None:
        raise RequestTypeClosed()
    behaviour = behaviour_for(code)
    own_fields = set(behaviour.form_class.base_fields) if behaviour.form_class else set()
    form_data = {name: value for name, value in data.items() if name in own_fields}
    form_data.update(description=description, submission_key=str(submission_key))
    form = request_form_class(behaviour.form_class)(form_data, MultiValueDict({"files": list(files)}))
    if not form.is_valid():
        return form_refused(form, own_fields, prefix)
    try:
        filed = services.request_submit(
            applicant=request.user, request_type=request_type, data=_json_ready(form.cleaned_data),
            description=form.cleaned_data["description"], files=form.cleaned_data["files"],
            submission_key=form.cleaned_data["submission_key"], client_address=client_address(request),
        )
    except RequestNotAllowed as exc:
        return not_allowed(exc)
    except (UploadRefused, UploadsRefused) as exc:
        return uploads_refused(exc)
    return detail_response(request.user, filed.reference, status.HTTP_201_CREATED)


class RequestListView(ListAPIView):
    serializer_class = RequestListRowSerializer

    def get_queryset(self):
        return selectors.request_rows_of(self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "labels": _labels()}

    @extend_schema(
        operation_id="requests_list", tags=["requests"], responses={200: RequestListRowSerializer(many=True), **ERRORS(401, 403)},
        summary="My requests, the latest change first.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="requests_create", tags=["requests"], request=RequestNewSerializer,
        responses={201: RequestDetailSerializer, **ERRORS(400, 401, 403, 413)},
        summary="File a new request (its type's fields in `data`, its files in `files`): the new request.",
        description="Refused with the pages' reason codes: the form's (`fields`), the files' (`files`), the type's "
                    "checks (403, e.g. too_young, pending_request).",
    )
    def post(self, request, *args, **kwargs):
        sent = RequestNewSerializer(data=sent_data(request))
        sent.is_valid(raise_exception=True)
        values = sent.validated_data
        return submit(request, code=values["request_type"], data=values.get("data", {}),
                      description=values["description"], submission_key=values["submission_key"],
                      files=values.get("files", []))


class RequestDetailView(APIView):
    @extend_schema(
        operation_id="requests_retrieve", tags=["requests"], parameters=[REFERENCE],
        responses={200: RequestDetailSerializer, **ERRORS(401, 403, 404)},
        summary="One of my requests: its data, timeline, messages and files. Its notices become read.",
    )
    def get(self, request, reference):
        own = own_request(request.user, reference)
        services.notices_mark_read(user=request.user, request=own)
        return Response(RequestDetailSerializer(detail_data(own)).data)


class RequestReplyView(APIView):
    @extend_schema(
        operation_id="requests_reply", tags=["requests"], parameters=[REFERENCE], request=ReplySerializer,
        responses={201: RequestDetailSerializer, **ERRORS(400, 401, 403, 404, 409, 413)},
        summary="Reply while the request waits for me (with files): it goes back to review.",
    )
    def post(self, request, reference):
        own = own_request(request.user, reference)
        sent = ReplySerializer(data=sent_data(request))
        sent.is_valid(raise_exception=True)
        form = ReplyForm({"body": sent.validated_data["body"]}, MultiValueDict({"files": sent.validated_data.get("files", [])}))
        if not form.is_valid():
            return form_refused(form)
        try:
            services.message_post(request=own, author=request.user, body=form.cleaned_data["body"],
                                  files=form.cleaned_data["files"], client_address=client_address(request))
        except (UploadRefused, UploadsRefused) as exc:
            return uploads_refused(exc)
        return detail_response(request.user, reference, status.HTTP_201_CREATED)


class RequestWithdrawView(APIView):
    @extend_schema(
        operation_id="requests_withdraw", tags=["requests"], parameters=[REFERENCE], request=None,
        responses={200: RequestDetailSerializer, **ERRORS(401, 403, 404, 409)},
        summary="Withdraw an open request (final: it will not be decided).",
    )
    def post(self, request, reference):
        own = own_request(request.user, reference)
        if own.status not in statuses.OPEN:
            raise ApiError("transition_not_allowed", _("This request can no longer be withdrawn."), status.HTTP_409_CONFLICT)
        services.request_withdraw(request=own, applicant=request.user, client_address=client_address(request))
        return detail_response(request.user, reference)


class AttachmentDownloadView(APIView):
    def perform_content_negotiation(self, request, force=False):
        # The file is no rendering of data: any Accept gets it; an error answers in JSON.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        operation_id="requests_attachment_download", tags=["requests"], parameters=[REFERENCE, ATTACHMENT],
        responses={
            **{(200, kind): OpenApiResponse(OpenApiTypes.BINARY, description=(
                "The file (PDF, JPEG or PNG) as an attachment under its name, as the page serves it."))
               for kind in ("application/pdf", "image/jpeg", "image/png")},
            **ERRORS(401, 403, 404),
        },
        summary="Download a file of one of my requests.",
    )
    def get(self, request, reference, attachment_id):
        attachment = selectors.attachment_of(request.user, reference, attachment_id)
        if attachment is None:
            raise ApiError("not_found", _("Not found."), status.HTTP_404_NOT_FOUND)
        return attachment_response(attachment)


class RequestTypeListView(APIView):
    @extend_schema(
        operation_id="request_types_list", tags=["requests"], responses={200: RequestTypeSerializer(many=True), **ERRORS(401, 403)},
        summary="The request types open now, their documents and fields, and whether I may file each.",
    )
    def get(self, request):
        request_types = list(selectors.open_request_types())
        today = timezone.localdate()
        for request_type in request_types:
            behaviour = behaviour_for(request_type.code)
            request_type.form_class = behaviour.form_class
            try:
                behaviour.precheck(applicant=request.user, today=today)
            except RequestNotAllowed as exc:
                request_type.refusal_data = refusal_data(exc.refusal)
            else:
                request_type.refusal_data = None
        return Response(RequestTypeSerializer(request_types, many=True).data)

