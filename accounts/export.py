"""What the portal holds about a citizen, for them to take (issue 12, "take your data").

`personal_data(user, today=...)` is a plain dict of JSON values (format "absher-personal-data/1"):
the account, the registry record as the portal shows it, dependents, the people the citizen acts
for with their documents, requests with their timeline, messages and attachments' names (never a
file's contents), bills, receipts, notices, sign-ins and who from the ministry looked at their
data. Keys are English and stable; values as stored (codes, ISO dates, amounts as strings), with
a `*_label` beside a code in the language asked for.

Its reads are bounded: one query a section, whatever the number of rows (no query per request,
person or bill). The export gathers what every app shows the citizen, as the dashboard does
(absher/dashboard.py): the service apps' models are read through late imports, since accounts
stands below them (DESIGN.md).
"""

import json
from datetime import date

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from absher.models import SIGN_IN_ACTIONS, AuditEvent

from .models import User

FORMAT = "absher-personal-data/1"

#: The sign-in actions (absher.models.SIGN_IN_ACTIONS): what each of them says, for the readable page and the `action_label` of the file.
SIGN_IN_LABELS = {
    "login_password_ok": _("Password accepted; code sent"),
    "login_succeeded": _("Signed in"),
    "login_failed": _("Wrong password"),
    "login_refused_locked": _("Sign-in refused: too many failed tries"),
    "login_refused_suspended": _("Sign-in refused: account suspended"),
    "account_locked": _("Sign-in locked for a while"),
    "device_signed_in": _("Signed in on a device"),
    "device_ended": _("A sign-in was ended"),
    "api_refresh_token_reused": _("App sign-in ended: its token was used twice"),
    "account_not_me": _("A sign-in was reported as not you"),
    "passkey_used": _("Signed in with a passkey"),
    "passkey_clone_suspected": _("Passkey refused: it may have been copied"),
}
#: The newest sign-in events a download holds (failed tries can be many).
SIGN_IN_EVENTS_MAX = 1000


def _labels(choices) -> dict:
    return {value: str(label) for value, label in choices}


def _person(person, *, language: str) -> dict:
    """A registry person as the portal's pages show them (never the fingerprint template)."""
    from civil_affairs.models import Person

    return {
        "national_id": person.national_id,
        "name_ar": person.name_ar,
        "name_en": person.name_en,
        "sex": person.sex,
        "sex_label": _labels(Person.Sex.choices).get(person.sex, person.sex),
        "birth_date": person.birth_date,
        "nationality": person.nationality,
        "national_id_issued": person.national_id_issued,
        "national_id_expiry": person.national_id_expiry,
        "iqama_expiry": person.iqama_expiry,
        "status": person.status,
        "status_label": _labels(Person.Status.choices).get(person.status, person.status),
    }


def _account(user: User) -> dict:
    from .models import AccountState

    return {
        "username": user.username,
        "email": user.email,
        "mobile": user.mobile or "",
        "preferred_language": user.preferred_language,
        "state": user.state,
        "state_label": _labels(AccountState.choices).get(user.state, user.state),
        "registered_at": user.date_joined,
        "mobile_confirmed_at": user.phone_confirmed_at,
        "activated_at": user.activated_at,
        "activation_method": user.activation_method,
        "terms_version": user.terms_version,
        "terms_accepted_at": user.terms_accepted_at,
        "last_sign_in_at": user.last_login,
        "closed_at": user.closed_at,
    }


def _account_history(user: User) -> list[dict]:
    from .models import AccountState

    labels = _labels(AccountState.choices)
    return [
        {"at": at, "from_state": from_state, "to_state": to_state, "to_state_label": labels.get(to_state, to_state)}
        for at, from_state, to_state in user.state_changes.order_by("at", "id").values_list("at", "from_state", "to_state")
    ]


def _dependents(user: User, *, language: str) -> list[dict]:
    from dependents.models import GuardianLink
    from dependents.selectors import dependents_of

    relations = _labels(GuardianLink.Relation.choices)
    return [
        {
            **_person(link.dependent, language=language),
            "relation": link.relation,
            "relation_label": relations.get(link.relation, link.relation),
            "added_at": link.created_at,
        }
        for link in dependents_of(user).defer("dependent__fingerprint_reference")
    ]


def _documents(user: User, *, today: date, language: str) -> list[dict]:
    """The people the passports pages show the citizen (themselves, their children, their workers)
    and each one's documents: one query for the people, one a kind of document."""
    from passports import selectors as passports
    from passports.models import Fine, IqamaRecord, Passport, TravelPermit, TravelRecord, Visa

    acting = passports.acting_people(user, today=today)
    if not acting:
        return []
    ids = [row.person.pk for row in acting]
    by_holder: dict[int, dict[str, list]] = {
        pk: {"passports": [], "visas": [], "travel_permits": [], "fines": [], "travel_records": []} for pk in ids
    }
    passport_status = _labels(Passport.Status.choices)
    for passport in Passport.objects.filter(holder_id__in=ids).order_by("-issued_on", "-id"):
        by_holder[passport.holder_id]["passports"].append({
            "number": passport.number, "country": passport.country, "issued_on": passport.issued_on,
            "expires_on": passport.expires_on, "status": passport.status,
            "status_label": passport_status.get(passport.status, passport.status),
        })
    visa_kinds = _labels(Visa.Kind.choices)
    visa_status = _labels(Visa.Status.choices)
    for visa in Visa.objects.filter(holder_id__in=ids).order_by("-issued_on", "-id"):
        status = visa.status_on(today)
        by_holder[visa.holder_id]["visas"].append({
            "number": visa.number, "kind": visa.kind, "kind_label": visa_kinds.get(visa.kind, visa.kind),
            "months": visa.months, "issued_on": visa.issued_on, "travel_by": visa.travel_by, "return_by": visa.return_by,
            "status": status, "status_label": visa_status.get(status, status),
        })
    permit_status = _labels(TravelPermit.Status.choices)
    destinations = _labels(TravelPermit.Destination.choices)
    for permit in TravelPermit.objects.filter(holder_id__in=ids).order_by("-valid_from", "-id"):
        by_holder[permit.holder_id]["travel_permits"].append({
            "number": permit.number, "destination": permit.destination,
            "destination_label": destinations.get(permit.destination, permit.destination),
            "valid_from": permit.valid_from, "valid_until": permit.valid_until, "status": permit.status,
            "status_label": permit_status.get(permit.status, permit.status),
        })
    for fine in Fine.objects.filter(person_id__in=ids).order_by("-issued_on", "-id"):
        by_holder[fine.person_id]["fines"].append({
            "reference": fine.reference, "amount": fine.amount, "issued_on": fine.issued_on, "paid_at": fine.paid_at,
            "reason": fine.reason_ar if language == "ar" else fine.reason_en,
        })
    directions = _labels(TravelRecord.Direction.choices)
    ports = _labels(TravelRecord.Port.choices)
    for record in TravelRecord.objects.filter(holder_id__in=ids).select_related("visa").order_by("-on", "-id"):
        by_holder[record.holder_id]["travel_records"].append({
            "on": record.on, "direction": record.direction,
            "direction_label": directions.get(record.direction, record.direction),
            "port": record.port, "port_label": ports.get(record.port, record.port),
            "visa_number": record.visa.number if record.visa_id else "",
        })
    iqamas = {
        record.holder_id: {
            "number": record.holder.national_id, "expires_on": record.holder.iqama_expiry,
            "occupation": record.occupation_ar if language == "ar" else record.occupation_en,
            "first_issued_on": record.issued_on,
        }
        for record in IqamaRecord.objects.filter(holder_id__in=ids).select_related("holder").defer(
            "holder__fingerprint_reference"
        )
    }
    from passports.templatetags.passports_extras import relation_label

    return [
        {
            "person": _person(row.person, language=language),
            "relation": row.relation,
            "relation_label": str(relation_label(row.relation, row.person.sex)),
            "iqama": iqamas.get(row.person.pk),
            **by_holder[row.person.pk],
        }
        for row in acting
    ]


def _requests(user: User, *, language: str) -> list[dict]:
    from civil_affairs import selectors as registry
    from civil_affairs.models import Attachment, RequestEvent, RequestMessage, RequestStatus

    statuses = _labels(RequestStatus.choices)
    rows = registry.requests_of(user).defer("subject__fingerprint_reference").prefetch_related(
        Prefetch("events", queryset=RequestEvent.objects.order_by("at", "id")),
        Prefetch("messages", queryset=RequestMessage.objects.order_by("at", "id")),
        Prefetch("attachments", queryset=Attachment.objects.order_by("at", "id")),
    )
    out = []
    for request in rows:
        out.append({
            "reference": request.reference or "",
            "type": request.request_type.code,
            "type_name": request.request_type.name(language),
            "department": request.department,
            "status": request.status,
            "status_label": statuses.get(request.status, request.status),
            "subject_national_id": request.subject.national_id if request.subject_id else "",
            "description": request.description,
            "decision_reason": request.decision_reason,
            "submitted_at": request.created_at,
            "updated_at": request.updated_at,
            "decided_at": request.decided_at,
            "timeline": [
                {"at": event.at, "from_status": event.from_status, "to_status": event.to_status,
                 "to_status_label": statuses.get(event.to_status, event.to_status), "note": event.note}
                for event in request.events.all()
            ],
            "messages": [
                {"at": message.at, "from_staff": message.from_staff, "text": message.body}
                for message in request.messages.all()
            ],
            "attachments": [
                {"name": attachment.display_name, "content_type": attachment.content_type, "size": attachment.size,
                 "uploaded_at": attachment.at, "by_staff": attachment.uploaded_by_id != user.pk}
                for attachment in request.attachments.all()
            ],
        })
    return out


def _bills_and_receipts(user: User) -> tuple[list[dict], list[dict]]:
    from passports.models import Bill, Receipt, Service

    services = _labels(Service.choices)
    bill_status = _labels(Bill.Status.choices)
    bills = [
        {
            "number": bill.number, "service": bill.service, "service_label": services.get(bill.service, bill.service),
            "for_national_id": bill.holder.national_id, "amount": bill.amount, "status": bill.status,
            "status_label": bill_status.get(bill.status, bill.status), "created_at": bill.created_at,
            "paid_at": bill.paid_at, "payment_reference": bill.payment_reference, "used_at": bill.used_at,
            "refunded_at": bill.refunded_at, "refund_reference": bill.refund_reference,
        }
        for bill in Bill.objects.filter(payer=user).select_related("holder").only(
            "number", "service", "holder__national_id", "amount", "status", "created_at", "paid_at",
            "payment_reference", "used_at", "refunded_at", "refund_reference",
        ).order_by("-created_at", "-id")
    ]
    receipts = [
        {
            "reference": receipt.reference, "service": receipt.service,
            "service_label": services.get(receipt.service, receipt.service),
            "for_national_id": receipt.holder.national_id, "amount": receipt.amount,
            "bill_number": receipt.bill.number if receipt.bill_id else "", "created_at": receipt.created_at,
        }
        for receipt in Receipt.objects.filter(applicant=user).select_related("holder", "bill").only(
            "reference", "service", "holder__national_id", "amount", "bill__number", "created_at",
        ).order_by("-created_at", "-id")
    ]
    return bills, receipts


def _notices(user: User) -> list[dict]:
    from absher.notifications.models import Notice

    return [
        {"at": notice.at, "service": notice.source, "kind": notice.kind, "text": notice.text, "read_at": notice.read_at}
        for notice in Notice.objects.filter(user=user).order_by("-at", "-id")
    ]


def _sign_ins(user: User) -> dict:
    from devices.models import Device

    kinds = _labels(Device.Kind.choices)
    endings = _labels(Device.Ending.choices)
    devices = [
        {
            "kind": device.kind, "kind_label": kinds.get(device.kind, device.kind), "name": device.name,
            "signed_in_with": device.signed_in_with, "signed_in_at": device.signed_in_at,
            "last_seen_at": device.last_seen_at, "client_address": device.client_address or "",
            "ended_at": device.ended_at, "ending": device.ending,
            "ending_label": endings.get(device.ending, "") if device.ending else "",
        }
        for device in Device.objects.filter(user=user).order_by("-signed_in_at", "-id")
    ]
    events = [
        {"at": at, "action": action, "action_label": str(SIGN_IN_LABELS.get(action, action)), "client_address": address or ""}
        for at, action, address in AuditEvent.objects.filter(subject_id=user.pk, action__in=SIGN_IN_ACTIONS)
        .order_by("-at", "-id")
        .values_list("at", "action", "client_address")[:SIGN_IN_EVENTS_MAX]
    ]
    return {"devices": devices, "events": events}


def _staff_views(user: User) -> list[dict]:
    """Who from the ministry looked at the citizen's data: the selector of the "Who looked at my
    data" page (civil_affairs.selectors.staff_views_of)."""
    from civil_affairs.models import PersonDataAccess
    from civil_affairs.selectors import staff_views_of

    if not user.person_id:
        return []
    what = _labels(PersonDataAccess.What.choices)
    return [
        {
            "at": view.at, "staff": view.staff.get_username(), "what": view.what,
            "what_label": what.get(view.what, view.what), "reason": view.reason,
            "request_reference": view.request.reference if view.request_id else "",
        }
        for view in staff_views_of(user.person).order_by("-at", "-id")
    ]


def personal_data_native(user: User, *, today: date | None = None, language: str | None = None) -> dict:
    """personal_data with Python values (dates, datetimes, decimals) for the readable page."""
    today = today or timezone.localdate()
    language = language or user.preferred_language
    user = User.objects.select_related("person").get(pk=user.pk)
    with translation.override(language):
        bills, receipts = _bills_and_receipts(user)
        return {
            "format": FORMAT,
            "generated_at": timezone.now(),
            "language": language,
            "account": _account(user),
            "account_history": _account_history(user),
            "registry_record": _person(user.person, language=language) if user.person_id else None,
            "dependents": _dependents(user, language=language),
            "people": _documents(user, today=today, language=language),
            "requests": _requests(user, language=language),
            "bills": bills,
            "receipts": receipts,
            "notices": _notices(user),
            "sign_ins": _sign_ins(user),
            "staff_views": _staff_views(user),
        }


def personal_data(user: User, *, today: date | None = None, language: str | None = None) -> dict:
    """What the portal holds about the citizen, as JSON values (see the module's docstring).

    Texts rendered for the export (labels, notices) are in `language`, the account's by default.
    """
    return json.loads(personal_data_json(personal_data_native(user, today=today, language=language)))


def personal_data_json(data: dict) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)



def file_name(*, today: date) -> str:
    """The download's name, chosen by the server."""
    return f"absher-personal-data-{today.isoformat()}.json"


def personal_data_downloaded(*, user: User, client_address: str, what: str) -> None:
    """The audit row of a download of one's data (`what`: "json", "page" or "api")."""
    from absher.audit import audit_record

    audit_record(action="personal_data_downloaded", actor=user, subject=user, client_address=client_address, what=what)
