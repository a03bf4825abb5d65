"""Actions of the passports services: each one transaction with its audit row; SMS after commit.

Every citizen-side service is a pair: a `decide` that gathers the facts from the database and
asks the pure rule (passports/rules/), and a `carry_out` that writes the document. A service
that costs money goes ahead only against a paid bill (`service_order` makes the bill,
`bill_fulfil` carries it out once paid); a free one goes ahead at once. Both ask the rule
again, on the day, under a lock on the holder.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from absher.audit import audit_record
from civil_affairs import services_registry
from civil_affairs.models import Person

from . import billing, notifications, selectors
from .exceptions import BillAlreadyUsed, BillNotPaid, PassportsError, ServiceRefused
from .models import (
    AbscondingReport,
    Bill,
    ExpiryReminder,
    Fine,
    IqamaRecord,
    IqamaRenewal,
    Passport,
    Receipt,
    Service,
    Sponsorship,
    TravelPermit,
    TravelRecord,
    Visa,
)
from .rules import Decision, fines, iqama, standing_refusal, travel_permit, visas
from .rules import absconding as absconding_rules
from .rules import passport as passport_rules

NOT_ACTING = fines.NOT_ACTING
REMINDER_DAYS = 30
PASSPORT_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
FAMILY_OCCUPATION = ("تابع", "Family member")


def _digits(count: int) -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(count))


def _unique(model, field: str, make: Callable[[], str]) -> str:
    for _attempt in range(10):
        value = make()
        if not model.objects.filter(**{field: value}).exists():
            return value
    raise RuntimeError(f"no free {model.__name__}.{field}")  # pragma: no cover


def new_passport_number() -> str:
    return _unique(Passport, "number", lambda: secrets.choice(PASSPORT_LETTERS) + _digits(8))


def new_visa_number() -> str:
    return _unique(Visa, "number", lambda: "6" + _digits(9))


def new_permit_number() -> str:
    return _unique(TravelPermit, "number", lambda: "7" + _digits(9))


def new_fine_reference() -> str:
    return _unique(Fine, "reference", lambda: "F" + _digits(9))


def _reference(prefix: str, obj) -> str:
    return f"{prefix}-{timezone.localdate():%Y}-{obj.pk:06d}"


def _refused(*reasons: str) -> ServiceRefused:
    return ServiceRefused(Decision(reasons=reasons))


def _lock(person: Person) -> Person:
    return Person.objects.select_for_update().get(pk=person.pk)


def _relation(actor, holder: Person, today: date) -> str:
    relation = selectors.relation_for(actor, holder, today=today)
    if relation is None:
        raise _refused(NOT_ACTING)
    return relation


# --- decide: facts from the database, decision from the rule ------------------------------------


def _passport_decide(*, facts, relation, params, today, fees) -> Decision:
    return passport_rules.decide(
        holder=facts.passport_holder(), relation=relation,
        current_expiry=facts.passport_valid_until if facts.person.is_citizen else None,
        unpaid_fines=facts.has_unpaid_fines, years=int(params.get("years") or 0), fees=fees, today=today,
    )


def _iqama_decide(*, facts, relation, params, today, fees) -> Decision:
    return iqama.decide(
        holder=facts.iqama_holder(), relation=relation, state=facts.iqama_state(),
        years=int(params.get("years") or 0), fees=fees, today=today,
    )


def _exit_reentry_decide(*, facts, relation, params, today, fees) -> Decision:
    return visas.exit_reentry_decide(
        traveller=facts.traveller(), relation=relation, open_visa=facts.open_visa(), kind=params.get("kind", ""),
        months=int(params.get("months") or 0), fees=fees, today=today,
    )


def _holder_visa(holder, params) -> Visa:
    visa = Visa.objects.filter(holder=holder, number=params.get("visa", "")).first()
    if visa is None:
        raise _refused(NOT_ACTING)
    return visa


def _extension_decide(*, facts, relation, params, today, fees) -> Decision:
    visa = _holder_visa(facts.person, params)
    return visas.extension_decide(
        visa=replace(visa.facts(), travelled_on=selectors.visa_travelled_on(visa)), traveller=facts.traveller(),
        relation=relation, months=int(params.get("months") or 0), fees=fees, today=today,
    )


def _cancellation_decide(*, facts, relation, params, today, fees) -> Decision:
    return visas.cancellation_decide(visa=_holder_visa(facts.person, params).facts(), relation=relation, today=today)


def _final_exit_decide(*, facts, relation, params, today, fees) -> Decision:
    return visas.final_exit_decide(
        traveller=facts.traveller(), relation=relation, open_visa=facts.open_visa(), fees=fees, today=today,
    )


def _permit_decide(*, facts, relation, params, today, fees) -> Decision:
    return travel_permit.decide(
        child=facts.child(), relation=relation, valid_until=date.fromisoformat(params["valid_until"]), today=today,
    )


def _holder_permit(holder, params) -> TravelPermit:
    permit = TravelPermit.objects.filter(holder=holder, number=params.get("permit", "")).first()
    if permit is None:
        raise _refused(NOT_ACTING)
    return permit


def _permit_cancellation_decide(*, facts, relation, params, today, fees) -> Decision:
    permit = _holder_permit(facts.person, params)
    return travel_permit.cancellation_decide(relation=relation, active=permit.status == TravelPermit.Status.ACTIVE
                                             and permit.valid_until >= today)


def _absconding_decide(*, facts, relation, params, today, fees) -> Decision:
    return absconding_rules.decide(worker=facts.worker(), relation=relation, today=today)


def _holder_fine(holder, params) -> Fine:
    fine = Fine.objects.filter(person=holder, reference=params.get("fine", "")).first()
    if fine is None:
        raise _refused(NOT_ACTING)
    return fine


def _fine_decide(*, facts, relation, params, today, fees) -> Decision:
    fine = _holder_fine(facts.person, params)
    return fines.decide(relation=relation, paid=fine.paid_at is not None, amount=fine.amount)


# --- carry out: write the document -----------------------------------------------------------


def _passport_carry_out(*, actor, holder, relation, params, decision, today) -> dict:
    current = selectors.valid_passport(holder)
    if current is not None:
        current.status = Passport.Status.REPLACED
        current.save(update_fields=["status"])
    outcome = decision.outcome
    passport = Passport.objects.create(
        holder=holder, number=new_passport_number(), country=selectors.SAUDI_ARABIA, issued_on=outcome["issued_on"],
        expires_on=outcome["expires_on"], validity_years=outcome["years"],
        delivery=params.get("delivery") or Passport.Delivery.COLLECTION, office=params.get("office", "")[:40],
    )
    return {"passport": passport, "number": passport.number, "until": passport.expires_on,
            "details": {"mode": outcome["mode"], "replaced": current.number if current else ""}}


def _iqama_carry_out(*, actor, holder, relation, params, decision, today) -> dict:
    outcome = decision.outcome
    record = IqamaRecord.objects.filter(holder=holder).first()
    previous = holder.iqama_expiry if record is not None else None
    if record is None:
        sponsorship = Sponsorship.objects.filter(worker=holder, ended_on__isnull=True).first()
        occupation = (sponsorship.occupation_ar, sponsorship.occupation_en) if sponsorship else FAMILY_OCCUPATION
        record = IqamaRecord.objects.create(
            holder=holder, sponsor=actor.person, occupation_ar=occupation[0], occupation_en=occupation[1], issued_on=today,
        )
    renewal = IqamaRenewal.objects.create(
        iqama=record, renewed_on=today, previous_expiry=previous, new_expiry=outcome["new_expiry"], years=outcome["years"],
        late=outcome["late"], amount=decision.fee, actor=actor,
    )
    services_registry.person_iqama_extend(person=holder, new_expiry=outcome["new_expiry"], actor=actor,
                                          reason=f"passports: iqama {outcome['mode']}")
    return {"iqama_renewal": renewal, "number": holder.national_id, "until": renewal.new_expiry,
            "details": {"mode": outcome["mode"], "late": outcome["late"]}}


def _exit_reentry_carry_out(*, actor, holder, relation, params, decision, today) -> dict:
    outcome = decision.outcome
    visa = Visa.objects.create(
        number=new_visa_number(), holder=holder, kind=outcome["kind"], months=outcome["months"], issued_on=today,
        travel_by=outcome["travel_by"], applicant=actor,
    )
    return {"visa": visa, "number": visa.number, "until": visa.travel_by}


def _extension_carry_out(*, actor, holder, relation, params, decision, today) -> dict:
    visa = Visa.objects.select_for_update().get(pk=_holder_visa(holder, params).pk)
    visa.return_by = decision.outcome["return_by"]
    visa.extended_months += decision.outcome["months"]
    visa.save(update_fields=["return_by", "extended_months"])
    return {"visa": visa, "number": visa.number, "until": visa.return_by, "details": {"months": decision.outcome["months"]}}


def _cancellation_carry_out(*, actor, holder, relation, params, decision, today) -> dict:
    visa = Visa.objects.select_for_update().get(pk=_holder_visa(holder, params).pk)
    visa.status = Visa.Status.CANCELLED
    visa.cancelled_at = timezone.now()
    visa.save(update_fields=["status", "cancelled_at"])
    return {"visa": visa, "number": visa.number, "kind": notifications.Kind.CANCELLED}


def _final_exit_carry_out(*, actor, holder, relation, params, decision, today) -> dict:
    visa = Visa.objects.create(
        number=new_visa_number(), holder=holder, kind=Visa.Kind.FINAL_EXIT, issued_on=today,
        travel_by=decision.outcome["travel_by"], applicant=actor,
    )
    return {"visa": visa, "number": visa.number, "until": visa.travel_by}


def _permit_carry_out(*, actor, holder, relation, params, decision, today) -> dict:
    permit = TravelPermit.objects.create(
        number=new_permit_number(), holder=holder, granted_by=actor.person,
        destination=params.get("destination") or TravelPermit.Destination.ALL,
        valid_from=decision.outcome["valid_from"], valid_until=decision.outcome["valid_until"],
    )
    return {"travel_permit": permit, "number": permit.number, "until": permit.valid_until}


def _permit_cancellation_carry_out(*, actor, holder, relation, params, decision, today) -> dict:
    permit = TravelPermit.objects.select_for_update().get(pk=_holder_permit(holder, params).pk)
    permit.status = TravelPermit.Status.CANCELLED
    permit.cancelled_at = timezone.now()
    permit.save(update_fields=["status", "cancelled_at"])
    return {"travel_permit": permit, "number": permit.number, "kind": notifications.Kind.CANCELLED}


def _absconding_carry_out(*, actor, holder, relation, params, decision, today) -> dict:
    report = AbscondingReport.objects.create(
        reference=f"AB-{secrets.token_hex(4)}", worker=holder, sponsor=actor.person, reported_by=actor, reported_on=today,
        last_seen_on=date.fromisoformat(params["last_seen_on"]),
    )
    report.reference = _reference("AB", report)
    report.save(update_fields=["reference"])
    return {
        "absconding_report": report, "number": report.reference, "kind": notifications.Kind.REPORT,
        "notice": {"event": "filed", "reference": report.reference, "date": report.cancellable_until.isoformat()},
    }


def _fine_carry_out(*, actor, holder, relation, params, decision, today) -> dict:
    fine = Fine.objects.select_for_update().get(pk=_holder_fine(holder, params).pk)
    fine.paid_at = timezone.now()
    fine.save(update_fields=["paid_at"])
    return {"fine": fine, "number": fine.reference}


@dataclass(frozen=True)
class ServiceSpec:
    decide: Callable[..., Decision]
    carry_out: Callable[..., dict]
    audit_action: str


SPECS: dict[str, ServiceSpec] = {
    Service.PASSPORT: ServiceSpec(_passport_decide, _passport_carry_out, "passport_issued"),
    Service.IQAMA: ServiceSpec(_iqama_decide, _iqama_carry_out, "iqama_renewed"),
    Service.EXIT_REENTRY: ServiceSpec(_exit_reentry_decide, _exit_reentry_carry_out, "exit_reentry_visa_issued"),
    Service.VISA_EXTENSION: ServiceSpec(_extension_decide, _extension_carry_out, "visa_extended"),
    Service.VISA_CANCELLATION: ServiceSpec(_cancellation_decide, _cancellation_carry_out, "visa_cancelled"),
    Service.FINAL_EXIT: ServiceSpec(_final_exit_decide, _final_exit_carry_out, "final_exit_visa_issued"),
    Service.TRAVEL_PERMIT: ServiceSpec(_permit_decide, _permit_carry_out, "travel_permit_issued"),
    Service.TRAVEL_PERMIT_CANCELLATION: ServiceSpec(_permit_cancellation_decide, _permit_cancellation_carry_out,
                                                    "travel_permit_cancelled"),
    Service.ABSCONDING_REPORT: ServiceSpec(_absconding_decide, _absconding_carry_out, "absconding_reported"),
    Service.FINE: ServiceSpec(_fine_decide, _fine_carry_out, "fine_paid"),
}


# --- the citizen side: decide, order, fulfil ------------------------------------------------


def service_decide(*, service: str, actor, holder: Person, params: dict, today: date | None = None) -> Decision:
    """What the rule says about this service for this holder today (and what it costs)."""
    today = today or timezone.localdate()
    relation = _relation(actor, holder, today)
    facts = selectors.holder_facts(holder, today=today)
    return SPECS[service].decide(facts=facts, relation=relation, params=params, today=today, fees=selectors.fee_table())


def _precheck_options(service: str, today: date) -> list[dict] | None:
    """The answers of the service's form that together are its least demanding ones (None: no precheck).

    Every reason of these rules either does not depend on the answers or grows stricter with them:
    a longer visa needs a longer iqama, a later permit end a longer passport. So a reason every one
    of these answers meets stands in the way of every answer the form offers.
    """
    options = {
        Service.PASSPORT: [{"years": years} for years in passport_rules.VALIDITIES],
        Service.IQAMA: [{"years": years} for years in iqama.YEARS],
        Service.EXIT_REENTRY: [{"kind": kind, "months": min(visas.MONTHS)} for kind in visas.EXIT_REENTRY_KINDS],
        Service.FINAL_EXIT: [{}],
        Service.TRAVEL_PERMIT: [{"destination": TravelPermit.Destination.ALL,
                                 "valid_until": (today + timedelta(days=1)).isoformat()}],
        Service.ABSCONDING_REPORT: [{"last_seen_on": today.isoformat()}],
    }
    return options.get(service)


def service_precheck(*, service: str, actor, holder: Person, today: date | None = None, relation: str | None = None,
                     facts: selectors.HolderFacts | None = None, fees: dict | None = None) -> Decision:
    """What refuses the service before its form is filled: the rule's reasons that stand whatever
    the answers (passports.rules.standing_refusal). Allowed here does not promise the submission:
    the rule is asked again, with the answers, by `service_order`.

    A page asking about several services passes what it has read once for all of them: the actor's
    `relation` to the holder (from selectors.acting_person), the holder's `facts` and the `fees`;
    whatever is not passed is read here.
    """
    today = today or timezone.localdate()
    options = _precheck_options(service, today)
    if options is None:
        return Decision(reasons=())
    if relation is None:
        try:
            relation = _relation(actor, holder, today)
        except ServiceRefused as exc:
            return exc.decision
    facts = facts if facts is not None else selectors.holder_facts(holder, today=today)
    fees = fees if fees is not None else selectors.fee_table()
    spec = SPECS[service]
    return standing_refusal([spec.decide(facts=facts, relation=relation, params=params, today=today, fees=fees)
                             for params in options])


def service_order(*, service: str, actor, holder: Person, params: dict, submission_key, today: date | None = None,
                  client_address: str = "") -> Bill | Receipt:
    """Ask for a service: a bill to pay when it costs money, else the service at once (its receipt)."""
    today = today or timezone.localdate()
    decision = service_decide(service=service, actor=actor, holder=holder, params=params, today=today)
    if not decision.allowed:
        raise ServiceRefused(decision)
    if decision.fee > 0:
        return billing.bill_create(payer=actor, holder=holder, service=service, decision=decision, params=params,
                                   submission_key=submission_key, client_address=client_address)
    return _carry_out(service=service, actor=actor, holder=holder, params=params, bill=None, today=today,
                      client_address=client_address)


def bill_fulfil(*, bill: Bill, actor, today: date | None = None, client_address: str = "") -> Receipt:
    """Carry out what a paid bill pays for. A used bill gives its receipt; an unpaid one is refused."""
    today = today or timezone.localdate()
    bill = Bill.objects.select_related("holder").get(pk=bill.pk)
    try:
        return _carry_out(service=bill.service, actor=actor, holder=bill.holder, params=bill.params, bill=bill,
                          today=today, client_address=client_address)
    except BillAlreadyUsed:
        # A double click, or a second tab: the first one did it; here is its receipt.
        receipt = Receipt.objects.filter(bill=bill).first()
        if receipt is None:
            raise
        return receipt


# --- a payment confirmed: by the browser's return, the gateway's notification or reconciliation ---

# What confirming a payment did (the notification's answer says it too).
FULFILLED = "fulfilled"  # the service was carried out now
ALREADY_FULFILLED = "already_fulfilled"  # it was before (a second arrival): nothing changed
PAID_NOT_FULFILLED = "paid_not_fulfilled"  # paid, but the rule refuses the service today: refundable
NOT_USABLE = "not_usable"  # a refund is under way or done: nothing changed
AMOUNT_MISMATCH = "amount_mismatch"  # the gateway took another amount: nothing changed, staff look


@dataclass(frozen=True)
class Confirmation:
    outcome: str
    bill: Bill
    receipt: Receipt | None = None
    refusal: Exception | None = None
    #: True when this call recorded the payment (the first arrival).
    recorded: bool = False


def payment_confirm(*, bill: Bill, payment, actor, source: str, client_address: str = "",
                    today: date | None = None) -> Confirmation:
    """The gateway says `bill` is paid (a PaymentStatus): record it and carry out its service, once.

    The browser's return, the gateway's notification and reconciliation all come here, in any
    order and as often as they like: the bill's status under the holder's lock decides, and only
    the first arrival records the payment and carries out the service.
    """
    with transaction.atomic(durable=True):
        return payment_confirm_in_transaction(bill=bill, payment=payment, actor=actor, source=source,
                                              client_address=client_address, today=today)


def payment_confirm_in_transaction(*, bill: Bill, payment, actor, source: str, client_address: str = "",
                                   today: date | None = None) -> Confirmation:
    """payment_confirm inside the caller's transaction (the notification records its id in the same one)."""
    today = today or timezone.localdate()
    # The holder first, then the bill: the order the fulfilment takes them in, so the two never deadlock.
    _lock(bill.holder)
    bill = billing._locked(bill)
    if payment.amount is not None and payment.amount != bill.amount:
        audit_record(action="passport_bill_amount_mismatch", actor=actor, subject=bill.payer, client_address=client_address,
                     bill=bill.number, amount=str(bill.amount), gateway_amount=str(payment.amount),
                     payment_reference=payment.reference[:60], source=source)
        return Confirmation(AMOUNT_MISMATCH, bill)
    recorded = False
    if bill.status == Bill.Status.UNPAID:
        billing.bill_payment_record(bill=bill, payment_reference=payment.reference, actor=actor, source=source,
                                    client_address=client_address)
        recorded = True
    elif payment.reference and bill.payment_reference and payment.reference[:60] != bill.payment_reference:
        # One bill, two payments at the gateway: nothing here may hide it; staff refund the second.
        audit_record(action="passport_bill_paid_twice", actor=actor, subject=bill.payer, client_address=client_address,
                     bill=bill.number, payment_reference=bill.payment_reference,
                     second_reference=payment.reference[:60], source=source)
    if bill.status == Bill.Status.USED:
        return Confirmation(ALREADY_FULFILLED, bill, receipt=Receipt.objects.filter(bill=bill).first())
    if bill.status != Bill.Status.PAID:
        return Confirmation(NOT_USABLE, bill)
    try:
        # A savepoint: a refusal rolls back the service alone, and the payment stays recorded.
        receipt = _carry_out(service=bill.service, actor=bill.payer, holder=bill.holder, params=bill.params, bill=bill,
                             today=today, client_address=client_address)
    except PassportsError as exc:
        return Confirmation(PAID_NOT_FULFILLED, bill, refusal=exc, recorded=recorded)
    bill.refresh_from_db(fields=["status", "used_at"])
    return Confirmation(FULFILLED, bill, receipt=receipt, recorded=recorded)


def _carry_out(*, service, actor, holder, params, bill, today, client_address) -> Receipt:
    spec = SPECS[service]
    with transaction.atomic():
        holder = _lock(holder)
        if bill is not None:
            # Under the holder's lock: a second use of the bill stops here, before any rule is asked.
            # If the rule refuses below, the transaction rolls back and the bill stays paid.
            billing.bill_use(bill)
        relation = _relation(actor, holder, today)
        decision = spec.decide(facts=selectors.holder_facts(holder, today=today), relation=relation, params=params,
                               today=today, fees=selectors.fee_table())
        if not decision.allowed:
            raise ServiceRefused(decision)
        if bill is None and decision.fee > 0:
            raise BillNotPaid()
        done = spec.carry_out(actor=actor, holder=holder, relation=relation, params=params, decision=decision, today=today)
        receipt = Receipt.objects.create(
            reference=f"PR-{secrets.token_hex(6)}", service=service, applicant=actor, holder=holder, bill=bill, amount=bill.amount if bill else 0,
            passport=done.get("passport"), iqama_renewal=done.get("iqama_renewal"), visa=done.get("visa"),
            travel_permit=done.get("travel_permit"), absconding_report=done.get("absconding_report"), fine=done.get("fine"),
            details={**params, **done.get("details", {})},
        )
        receipt.reference = _reference("PR", receipt)
        receipt.save(update_fields=["reference"])
        audit_record(action=spec.audit_action, actor=actor, subject=actor, client_address=client_address,
                     holder=holder.national_id, receipt=receipt.reference, number=done.get("number", ""),
                     bill=bill.number if bill else "", relation=relation)
        kind = done.get("kind", notifications.Kind.DOCUMENT)
        until = done.get("until")
        notice = {**notifications.holder_params(holder), "service": service, "number": done.get("number", ""),
                  "receipt": receipt.reference, "until": until.isoformat() if until else "", **done.get("notice", {})}
        notifications.notify(actor, kind, notice, receipt=receipt)
    return receipt


# --- staff: the absence report's cancellation, recorded documents, border crossings -------------


def absconding_report_cancel(*, report: AbscondingReport, actor, today: date | None = None, client_address: str = "",
                             note: str = "") -> AbscondingReport:
    """Cancel a report within 15 days of it (a passports officer's decision)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        report = (
            AbscondingReport.objects.select_for_update(of=("self",)).select_related("worker", "reported_by").get(pk=report.pk)
        )
        decision = absconding_rules.cancellation_decide(status=report.status, reported_on=report.reported_on, today=today)
        if not decision.allowed:
            raise ServiceRefused(decision)
        report.status = AbscondingReport.Status.CANCELLED
        report.cancelled_at = timezone.now()
        report.cancelled_by = actor
        report.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        audit_record(action="absconding_report_cancelled", actor=actor, subject=report.reported_by,
                     client_address=client_address, reference=report.reference, worker=report.worker.national_id,
                     note=note[:200])
        if report.reported_by is not None:
            notifications.notify(
                report.reported_by, notifications.Kind.REPORT,
                {**notifications.holder_params(report.worker), "event": "cancelled", "reference": report.reference},
            )
    return report


def crossing_record(*, holder: Person, direction: str, port: str, on: date, actor, passport_number: str = "") -> TravelRecord:
    """A border crossing (the border's record; staff and the demo data write it).

    A resident's exit uses their open exit/re-entry or final exit visa: the visa becomes used and
    its duration counts from the day of travel; the entry that follows brings them back on it.
    """
    with transaction.atomic():
        holder = _lock(holder)
        visa = None
        if holder.is_resident:
            held = Visa.objects.select_for_update().filter(holder=holder).exclude(status=Visa.Status.CANCELLED)
            if direction == TravelRecord.Direction.EXIT:
                visa = next((v for v in held if v.status_on(on) == Visa.Status.ISSUED), None) or next(
                    (v for v in held if v.kind == Visa.Kind.MULTIPLE and v.status_on(on) == Visa.Status.USED
                     and not v.holder_abroad_on_it), None)
                if visa is not None:
                    if visa.status == Visa.Status.ISSUED and visa.months:
                        visa.return_by = visas.return_by_for(months=visa.months, exit_on=on)
                    visa.status = Visa.Status.USED
                    visa.holder_abroad_on_it = visa.kind != Visa.Kind.FINAL_EXIT
                    visa.save(update_fields=["status", "return_by", "holder_abroad_on_it"])
            else:
                visa = next((v for v in held if v.holder_abroad_on_it), None)
                if visa is not None:
                    visa.holder_abroad_on_it = False
                    visa.save(update_fields=["holder_abroad_on_it"])
        record = TravelRecord.objects.create(holder=holder, direction=direction, port=port, on=on, visa=visa,
                                             passport_number=passport_number, recorded_by=actor)
        audit_record(action="crossing_recorded", actor=actor, subject_label=holder.national_id, direction=direction,
                     port=port, on=on.isoformat(), visa=visa.number if visa else "")
    return record


def passport_record(*, holder: Person, number: str, country: str, issued_on: date, expires_on: date, actor,
                    validity_years: int | None = None) -> Passport:
    """A passport issued elsewhere (a resident's foreign passport, or one issued before the portal)."""
    with transaction.atomic():
        holder = _lock(holder)
        Passport.objects.filter(holder=holder, country=country, status=Passport.Status.VALID).update(
            status=Passport.Status.REPLACED)
        passport = Passport.objects.create(holder=holder, number=number, country=country, issued_on=issued_on,
                                           expires_on=expires_on, validity_years=validity_years)
        audit_record(action="passport_recorded", actor=actor, subject_label=holder.national_id, number=number,
                     country=country)
    return passport


def sponsorship_start(*, sponsor: Person, worker: Person, occupation_ar: str, occupation_en: str, started_on: date,
                      actor) -> Sponsorship:
    """A worker's sponsorship starts (a transfer ends the previous one); the iqama names the new sponsor."""
    with transaction.atomic():
        worker = _lock(worker)
        Sponsorship.objects.filter(worker=worker, ended_on__isnull=True).update(ended_on=started_on)
        sponsorship = Sponsorship.objects.create(sponsor=sponsor, worker=worker, occupation_ar=occupation_ar,
                                                 occupation_en=occupation_en, started_on=started_on)
        IqamaRecord.objects.filter(holder=worker).update(sponsor=sponsor, occupation_ar=occupation_ar,
                                                         occupation_en=occupation_en)
        audit_record(action="sponsorship_started", actor=actor, subject_label=worker.national_id,
                     sponsor=sponsor.national_id)
    return sponsorship


def sponsorship_end(*, sponsorship: Sponsorship, ended_on: date, actor) -> Sponsorship:
    with transaction.atomic():
        sponsorship = Sponsorship.objects.select_for_update().get(pk=sponsorship.pk)
        if sponsorship.ended_on is None:
            sponsorship.ended_on = ended_on
            sponsorship.save(update_fields=["ended_on"])
            audit_record(action="sponsorship_ended", actor=actor, subject_label=str(sponsorship.worker_id))
    return sponsorship


def iqama_record_register(*, holder: Person, sponsor: Person | None, occupation_ar: str, occupation_en: str,
                          issued_on: date, actor, employer_name: str = "") -> IqamaRecord:
    """The details of an iqama issued before the portal kept them (staff entry, demo data)."""
    with transaction.atomic():
        record, created = IqamaRecord.objects.update_or_create(
            holder=holder,
            defaults={"sponsor": sponsor, "occupation_ar": occupation_ar, "occupation_en": occupation_en,
                      "issued_on": issued_on, "employer_name": employer_name},
        )
        audit_record(action="iqama_details_recorded", actor=actor, subject_label=holder.national_id, created=created)
    return record


def fine_record(*, person: Person, amount, reason_ar: str, reason_en: str, issued_on: date, actor) -> Fine:
    with transaction.atomic():
        fine = Fine.objects.create(reference=new_fine_reference(), person=person, amount=amount, reason_ar=reason_ar,
                                   reason_en=reason_en, issued_on=issued_on)
        audit_record(action="fine_recorded", actor=actor, subject_label=person.national_id, reference=fine.reference,
                     amount=str(fine.amount))
    return fine


def absconding_report_record(*, worker: Person, sponsor: Person, reported_on: date, last_seen_on: date,
                             actor) -> AbscondingReport:
    """A report filed at a passports office (staff entry, demo data)."""
    with transaction.atomic():
        report = AbscondingReport.objects.create(
            reference=f"AB-{secrets.token_hex(4)}", worker=worker, sponsor=sponsor, reported_on=reported_on,
            last_seen_on=last_seen_on,
        )
        report.reference = _reference("AB", report)
        report.save(update_fields=["reference"])
        audit_record(action="absconding_reported", actor=actor, subject_label=worker.national_id,
                     reference=report.reference, sponsor=sponsor.national_id)
    return report


def travel_permit_record(*, holder: Person, granted_by: Person, valid_from: date, valid_until: date, actor,
                         destination: str = TravelPermit.Destination.ALL) -> TravelPermit:
    """A permit given at a passports office (staff entry, demo data)."""
    with transaction.atomic():
        permit = TravelPermit.objects.create(number=new_permit_number(), holder=holder, granted_by=granted_by,
                                             destination=destination, valid_from=valid_from, valid_until=valid_until)
        audit_record(action="travel_permit_recorded", actor=actor, subject_label=holder.national_id, number=permit.number)
    return permit


def visa_record(*, holder: Person, kind: str, issued_on: date, months: int | None, actor) -> Visa:
    """A visa issued before the portal kept visas (demo data); it goes on like any other."""
    travel_by = issued_on + (visas.FINAL_EXIT_WINDOW if kind == Visa.Kind.FINAL_EXIT else visas.TRAVEL_WINDOW)
    with transaction.atomic():
        visa = Visa.objects.create(number=new_visa_number(), holder=holder, kind=kind, months=months, issued_on=issued_on,
                                   travel_by=travel_by)
        audit_record(action="visa_recorded", actor=actor, subject_label=holder.national_id, number=visa.number)
    return visa


# --- expiry reminders (a periodic command) ----------------------------------------------------


def _remind(person: Person, document: str, expires_on: date, today: date) -> int:
    sent = 0
    for user in selectors.accounts_acting_for(person, today=today):
        with transaction.atomic():
            _reminder, created = ExpiryReminder.objects.get_or_create(
                user=user, person=person, document=document, expires_on=expires_on)
            if created:
                notifications.notify(user, notifications.Kind.REMINDER, {
                    **notifications.holder_params(person), "document": document, "date": expires_on.isoformat()})
                sent += 1
    return sent


def expiry_reminders_send(*, today: date | None = None, days: int = REMINDER_DAYS) -> int:
    """Remind everyone who may act for a person whose passport or iqama expires within `days`.

    Idempotent: one reminder per user, person, document and expiry date, however often it runs.
    """
    today = today or timezone.localdate()
    horizon = today + timedelta(days=days)
    sent = 0
    passports = (
        Passport.objects.filter(status=Passport.Status.VALID, expires_on__range=(today, horizon),
                                holder__status=Person.Status.LIVING)
        .select_related("holder__father", "holder__mother")
    )
    for passport in passports:
        sent += _remind(passport.holder, ExpiryReminder.Document.PASSPORT, passport.expires_on, today)
    residents = Person.objects.filter(national_id__startswith="2", iqama_expiry__range=(today, horizon),
                                      status=Person.Status.LIVING).select_related("father", "mother")
    for person in residents:
        sent += _remind(person, ExpiryReminder.Document.IQAMA, person.iqama_expiry, today)
    return sent


def notices_mark_read(*, user) -> int:
    from absher.notifications.services import notices_mark_read as mark_read

    return mark_read(user=user, source=notifications.SOURCE)

