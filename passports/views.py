"""The citizen's side of the passports services: thin views over passports.services.

Every page about a person asks passports.selectors.acting_person first: a person the user may
not act for does not exist for them (404), whatever the URL says.
"""

import uuid

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from absher.pagination import page_of
from absher.request_info import client_address
from accounts.decorators import active_account_required

from . import billing, forms, returns, selectors, services, settlement
from .exceptions import PassportsError, RefundDeclined, ServiceRefused
from .models import Bill, Receipt, Service, Visa
from .payments import get_backend, signing
from .payments.simulated import DECLINE, PAY
from .reasons import PAY_FINES, RENEW_IQAMA, RENEW_PASSPORT, reason_texts, ways_forward
from .rules import authority


def _language() -> str:
    return "ar" if (get_language() or "ar").startswith("ar") else "en"


def _today():
    return timezone.localdate()


def _acting_or_404(request, national_id, *, hook=None) -> selectors.Acting:
    acting = selectors.acting_person(request.user, national_id, today=_today(), queryset_hook=hook)
    if acting is None:
        raise Http404
    return acting


#: The services that cost money: their pages show the steps application, bill, payment, receipt.
PAID_SERVICES = {Service.PASSPORT, Service.IQAMA, Service.EXIT_REENTRY, Service.FINAL_EXIT, Service.VISA_EXTENSION}


def _ways(decision, person, *, return_to=None, facts=None) -> dict:
    """What the citizen can do about a refusal on the portal itself: pay the fines (and come back to
    `return_to`), renew the iqama or the passport first. The unpaid fines come from `facts` when the
    page has the holder's facts (read once for the page)."""
    ways = ways_forward(decision, citizen=person.is_citizen) if person is not None else []
    fines = []
    if PAY_FINES in ways:
        fines = facts.unpaid_fines if facts is not None else selectors.unpaid_fines_of(person)
    return {
        "fines": fines,
        "renew_iqama": reverse("passports:iqama-apply", args=[person.national_id]) if RENEW_IQAMA in ways else "",
        "renew_passport": reverse("passports:passport-apply", args=[person.national_id]) if RENEW_PASSPORT in ways else "",
        "return_to": return_to or "",
    }


def _refusal(request, *, title, decision, person=None, back=None, return_to=None, before_form=False, facts=None):
    """Ineligibility is a page that explains why and what to do, not a red field."""
    return render(request, "passports/refusal.html", {
        "title": title, "reasons": reason_texts(decision), "allowed_from": decision.allowed_from, "person": person,
        "back": back, "ways": _ways(decision, person, return_to=return_to, facts=facts), "before_form": before_form,
    })


def _ordered(request, result):
    if isinstance(result, Bill):
        messages.success(request, _("Your bill %(number)s was issued. Pay it to complete the service.") % {"number": result.number})
        return redirect("passports:bill-detail", number=result.number)
    messages.success(request, _("Done. Your receipt number is %(reference)s.") % {"reference": result.reference})
    return redirect("passports:receipt-detail", reference=result.reference)


def _service_page(request, national_id, *, service, form_class, template, title, context=None, form_kwargs=None,
                  acting=None):
    """The common shape of a service page: the person, the form, the rule on submission, a bill or a receipt.

    `acting`, when the view has found the person already, was found through selectors.facts_hook."""
    today = _today()
    acting = acting or _acting_or_404(request, national_id, hook=selectors.facts_hook(today))
    person = acting.person
    back = redirect("passports:person-detail", national_id=person.national_id).url
    fees = list(selectors.fees_for_display())  # one read: the rules' fee table and the fees shown
    # What refuses the service whatever the answers is said before the form, with the way forward.
    facts = selectors.HolderFacts.annotated(person, today=today)
    standing = services.service_precheck(service=service, actor=request.user, holder=person, today=today,
                                         relation=acting.relation, facts=facts, fees=selectors.fee_table_of(fees))
    if not standing.allowed:
        return _refusal(request, title=title, decision=standing, person=person, back=back, return_to=request.path,
                        before_form=True, facts=facts)
    form = form_class(request.POST or None, **(form_kwargs or {}))
    if request.method == "POST" and form.is_valid():
        try:
            result = services.service_order(
                service=service, actor=request.user, holder=person, params=form.params(),
                submission_key=form.cleaned_data["submission_key"], client_address=client_address(request),
            )
        except ServiceRefused as exc:
            return _refusal(request, title=title, decision=exc.decision, person=person, back=back,
                            return_to=request.path)
        except PassportsError as exc:
            form.add_error(None, exc.message())
        else:
            return _ordered(request, result)
    return render(request, template, {
        "form": form, "person": person, "relation": acting.relation, "title": title, "today": today,
        "fees": fees, "paid_service": service in PAID_SERVICES, **(context or {}),
    })


# --- the Passports page and a person's page ---------------------------------------------------


@active_account_required
def home(request):
    """Passports: the people I may act for, their passport and iqama, my notices and open bills."""
    today = _today()
    people = selectors.acting_people(request.user, today=today, queryset_hook=selectors.home_hook)
    return render(request, "passports/home.html", {
        "people": people, "today": today, "notices": selectors.notices_of(request.user),
        "bills": selectors.open_bills_of(request.user),
    })


@active_account_required
@require_POST
def notices_read(request):
    services.notices_mark_read(user=request.user)
    return redirect("passports:home")


@active_account_required
def person_detail(request, national_id):
    today = _today()
    acting = _acting_or_404(request, national_id, hook=selectors.person_page_hook(today))
    person = acting.person
    documents = selectors.person_documents(person)
    # The facts every service's rule reads, read once with the person and the documents listed.
    facts = selectors.HolderFacts.annotated(person, today=today, held_visas=documents["held_visas"],
                                            unpaid_fines=documents["unpaid_fines"])
    record = getattr(person, "iqama_record", None) if person.is_resident else None
    report = getattr(person, "absconding_report", None)
    return render(request, "passports/person_detail.html", {
        "person": person, "relation": acting.relation, "today": today, "iqama": record, "report": report,
        "visas": [(visa, visa.status_on(today)) for visa in documents["visas"]],
        "passports": documents["passports"], "permits": documents["permits"], "fines": documents["fines"],
        "is_self": acting.relation == authority.SELF, "is_child": acting.relation == authority.CHILD,
        "is_worker": acting.relation == authority.WORKER,
        "services": _person_services(request, acting, today, facts),
        # The reference inside a translated sentence: isolated left to right, never broken.
        "report_reference": format_html('<bdi dir="ltr" class="nowrap">{}</bdi>', report.reference) if report else "",
    })


#: The services a person's page offers: (service, URL name, title, button style, who sees it).
PERSON_SERVICES = (
    (Service.PASSPORT, "passports:passport-apply", _lazy("Issue or renew a passport"), "primary", "citizen"),
    (Service.TRAVEL_PERMIT, "passports:travel-permit-apply", _lazy("Issue a travel permit"), "outline-primary", "citizen_child"),
    (Service.IQAMA, "passports:iqama-apply", _lazy("Issue or renew the iqama"), "primary", "resident_other"),
    (Service.EXIT_REENTRY, "passports:exit-reentry-apply", _lazy("Issue an exit/re-entry visa"), "primary", "resident_other"),
    (Service.FINAL_EXIT, "passports:final-exit-apply", _lazy("Issue a final exit visa"), "outline-primary", "resident_other"),
    (Service.ABSCONDING_REPORT, "passports:absconding-report", _lazy("Report absence from work"), "outline-danger",
     "resident_worker"),
)


def _offered(audience: str, person, relation: str) -> bool:
    if audience == "citizen":
        return person.is_citizen
    if audience == "citizen_child":
        return person.is_citizen and relation == authority.CHILD
    if audience == "resident_other":
        return not person.is_citizen and relation != authority.SELF
    return not person.is_citizen and relation == authority.WORKER


def _person_services(request, acting, today, facts) -> list[dict]:
    """The person's services, each with what refuses it before its form (and the way forward): every
    rule reads the same facts and fees, read once for the page."""
    offered = [row for row in PERSON_SERVICES if _offered(row[4], acting.person, acting.relation)]
    fees = selectors.fee_table() if offered else {}
    return [_person_service(request, acting, today, facts, fees, *row) for row in offered]


def _person_service(request, acting, today, facts, fees, service, url_name, title, style, audience):
    person = acting.person
    url = reverse(url_name, args=[person.national_id])
    standing = services.service_precheck(service=service, actor=request.user, holder=person, today=today,
                                         relation=acting.relation, facts=facts, fees=fees)
    return {"service": service, "title": title, "url": url, "style": style, "allowed": standing.allowed,
            "reasons": reason_texts(standing), "ways": _ways(standing, person, return_to=url, facts=facts)}


# --- services ------------------------------------------------------------------------------


@active_account_required
def passport_apply(request, national_id):
    return _service_page(request, national_id, service=Service.PASSPORT, form_class=forms.PassportForm,
                         template="passports/passport_apply.html", title=_("Issue or renew a passport"))


@active_account_required
def iqama_apply(request, national_id):
    acting = _acting_or_404(request, national_id,
                            hook=selectors.facts_hook(_today(), lambda rows: rows.select_related("iqama_record__sponsor")))
    record = getattr(acting.person, "iqama_record", None)
    history = list(record.renewals.all()[:10]) if record else []
    return _service_page(request, national_id, service=Service.IQAMA, form_class=forms.IqamaForm,
                         template="passports/iqama_apply.html", title=_("Issue or renew an iqama"),
                         context={"iqama": record, "history": history}, acting=acting)


@active_account_required
def exit_reentry_apply(request, national_id):
    return _service_page(request, national_id, service=Service.EXIT_REENTRY, form_class=forms.ExitReentryForm,
                         template="passports/exit_reentry_apply.html", title=_("Issue an exit/re-entry visa"))


@active_account_required
def final_exit_apply(request, national_id):
    return _service_page(request, national_id, service=Service.FINAL_EXIT, form_class=forms.FinalExitForm,
                         template="passports/final_exit_apply.html", title=_("Issue a final exit visa"))


@active_account_required
def travel_permit_apply(request, national_id):
    return _service_page(request, national_id, service=Service.TRAVEL_PERMIT, form_class=forms.TravelPermitForm,
                         template="passports/travel_permit_apply.html", title=_("Issue a travel permit"))


@active_account_required
def absconding_report(request, national_id):
    return _service_page(request, national_id, service=Service.ABSCONDING_REPORT, form_class=forms.AbscondingForm,
                         template="passports/absconding_report.html", title=_("Report a worker absent from work"))


# --- visas, permits, fines -----------------------------------------------------------------


def _visa_or_404(request, number):
    found = selectors.visa_of(request.user, number, today=_today())
    if found is None:
        raise Http404
    return found


@active_account_required
def visa_inquiry(request):
    """Inquiry by visa number, among the visas of the people I may act for."""
    form = forms.VisaInquiryForm(request.GET or None)
    visa = None
    searched = False
    if request.GET and form.is_valid():
        searched = True
        found = selectors.visa_of(request.user, form.cleaned_data["number"], today=_today())
        visa = found[0] if found else None
    return render(request, "passports/visa_inquiry.html", {
        "form": form, "visa": visa, "searched": searched, "today": _today(),
        "status": visa.status_on(_today()) if visa else None,
    })


@active_account_required
def visa_detail(request, number):
    visa, acting = _visa_or_404(request, number)
    today = _today()
    status = visa.status_on(today)
    return render(request, "passports/visa_detail.html", {
        "visa": visa, "person": acting.person, "status": status, "today": today,
        "can_cancel": status == Visa.Status.ISSUED,
        "can_extend": visa.kind != Visa.Kind.FINAL_EXIT and visa.holder_abroad_on_it and status != Visa.Status.CANCELLED,
        "records": visa.travel_records.order_by("-on", "-id")[:10],
    })


@active_account_required
def visa_extend(request, number):
    visa, acting = _visa_or_404(request, number)
    return _service_page(request, acting.person.national_id, service=Service.VISA_EXTENSION,
                         form_class=forms.VisaExtendForm, form_kwargs={"visa_number": visa.number},
                         template="passports/visa_extend.html", title=_("Extend an exit/re-entry visa"),
                         context={"visa": visa, "status": visa.status_on(_today())}, acting=acting)


def _free_action(request, *, service, holder, params, title, back):
    try:
        receipt = services.service_order(service=service, actor=request.user, holder=holder, params=params,
                                         submission_key=None, client_address=client_address(request))
    except ServiceRefused as exc:
        return _refusal(request, title=title, decision=exc.decision, person=holder, back=back)
    return _ordered(request, receipt)


@active_account_required
@require_POST
def visa_cancel(request, number):
    visa, acting = _visa_or_404(request, number)
    return _free_action(request, service=Service.VISA_CANCELLATION, holder=acting.person, params={"visa": visa.number},
                        title=_("Cancel a visa"), back=redirect("passports:visa-detail", number=visa.number).url)


@active_account_required
@require_POST
def travel_permit_cancel(request, number):
    found = selectors.permit_of(request.user, number, today=_today())
    if found is None:
        raise Http404
    permit, acting = found
    return _free_action(request, service=Service.TRAVEL_PERMIT_CANCELLATION, holder=acting.person,
                        params={"permit": permit.number}, title=_("Cancel a travel permit"),
                        back=redirect("passports:person-detail", national_id=acting.person.national_id).url)


@active_account_required
@require_POST
def fine_pay(request, reference):
    found = selectors.fine_of(request.user, reference, today=_today())
    if found is None:
        raise Http404
    fine, acting = found
    # One bill per fine and payer: paying twice goes to the same bill.
    key = uuid.uuid5(uuid.NAMESPACE_URL, f"fine:{fine.reference}:{request.user.pk}")
    try:
        result = services.service_order(service=Service.FINE, actor=request.user, holder=acting.person,
                                        params={"fine": fine.reference}, submission_key=key,
                                        client_address=client_address(request))
    except ServiceRefused as exc:
        return _refusal(request, title=_("Pay a fine"), decision=exc.decision, person=acting.person,
                        back=redirect("passports:person-detail", national_id=acting.person.national_id).url)
    # Paying a fine that stood in the way of a service: once paid, back to that service's page.
    return_to = returns.safe_return_path(request.POST.get("next"), host=request.get_host(), secure=request.is_secure())
    if return_to and isinstance(result, Bill):
        returns.remember(request.session, bill_number=result.number, path=return_to)
    return _ordered(request, result)


# --- travel record -------------------------------------------------------------------------


@active_account_required
def travel_record(request):
    """Entries and exits of the user and of those they may act for, filterable by date."""
    today = _today()
    people = selectors.acting_people(request.user, today=today)
    form = forms.TravelRecordFilterForm(request.GET or None, people=people, language=_language())
    ids = {acting.person.national_id: acting.person.pk for acting in people}
    chosen, date_from, date_to = list(ids.values()), None, None
    if form.is_bound:
        if form.is_valid():
            if form.cleaned_data["person"]:
                chosen = [ids[form.cleaned_data["person"]]]
            date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        else:
            chosen = []
    page = page_of(selectors.travel_record_rows(chosen, date_from=date_from, date_to=date_to), 25,
                   request.GET.get("page"), row=selectors.travel_record_row_maker(people))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "passports/travel_record.html", {"form": form, "page": page, "query": query.urlencode(),
                                                            "today": today})


# --- bills and payment ---------------------------------------------------------------------


def _bill_or_404(request, number) -> Bill:
    bill = selectors.bill_of(request.user, number)
    if bill is None:
        raise Http404
    return bill


@active_account_required
def bill_detail(request, number):
    bill = _bill_or_404(request, number)
    receipt = Receipt.objects.filter(bill=bill).only("reference").first() if bill.status == Bill.Status.USED else None
    fees = dict(selectors.fees_for_display().values_list("code", "name_ar" if _language() == "ar" else "name_en"))
    lines = [{**line, "name": fees.get(line["code"], _("Fine") if line["code"] == "fine" else line["code"])}
             for line in bill.lines]
    return render(request, "passports/bill_detail.html", {"bill": bill, "lines": lines, "receipt": receipt})


@active_account_required
@require_POST
def bill_pay(request, number):
    bill = _bill_or_404(request, number)
    if bill.status != Bill.Status.UNPAID:
        return _not_payable(request, bill)
    billing.bill_payment_start(bill=bill, actor=request.user, client_address=client_address(request))
    return redirect(get_backend().start(bill=bill, request=request))


def _not_payable(request, bill):
    messages.error(request, _("This bill is already paid: it cannot be paid twice.") if bill.status in (
        Bill.Status.PAID, Bill.Status.USED) else billing.refusal_of(bill).message())
    return redirect("passports:bill-detail", number=bill.number)


@active_account_required
@require_http_methods(["GET", "POST"])
def payment_simulated(request, number):
    """The simulated gateway's page (development and tests): pay or decline.

    As a real gateway does, "pay" and "decline" first tell the portal server-to-server (a signed
    notification through the same service as the notification view), then bring the payer back to
    the return page; a payer who never comes back (a closed tab) has been served all the same.
    """
    backend = get_backend()
    if not getattr(backend, "simulated", False):
        raise Http404
    bill = _bill_or_404(request, number)
    if request.method == "POST":
        outcome = request.POST.get("outcome")
        if outcome not in (PAY, DECLINE):
            return redirect("passports:payment-simulated", number=bill.number)
        if bill.status != Bill.Status.UNPAID:
            # A SADAD bill is paid once: the gateway takes nothing for a bill the portal no longer asks for.
            return _not_payable(request, bill)
        status = backend.pay(bill=bill) if outcome == PAY else backend.decline(bill=bill)
        body, signature = backend.notification(bill=bill, status=status)
        settlement.payment_notification_receive(body=body, signature=signature)
        return redirect("passports:payment-return", number=bill.number)
    return render(request, "passports/payment_simulated.html", {"bill": bill})


@active_account_required
@require_http_methods(["GET", "POST"])
def payment_return(request, number):
    """Where the gateway brings the payer back: ask the gateway, then confirm the payment and carry out
    the service through the same service as the gateway's notification (whichever comes first does it)."""
    bill = _bill_or_404(request, number)
    outcome = get_backend().verify(bill=bill, request=request)
    if not outcome.paid:
        messages.error(request, _("The payment was declined. The bill is still waiting for payment."))
        return redirect("passports:bill-detail", number=bill.number)
    confirmation = services.payment_confirm(bill=bill, payment=outcome, actor=request.user, source="browser_return",
                                            client_address=client_address(request))
    if confirmation.receipt is not None:
        return _done(request, confirmation.receipt)
    if confirmation.refusal is not None:
        return _not_done(request, bill, confirmation.refusal)
    if confirmation.outcome == services.AMOUNT_MISMATCH:
        messages.error(request, _("The amount paid does not match the bill. Nothing was carried out; "
                                  "the passports department will contact you."))
    else:
        messages.error(request, billing.refusal_of(confirmation.bill).message())
    return redirect("passports:bill-detail", number=bill.number)


def _done(request, receipt):
    return_to = returns.take(request.session, bill_number=receipt.bill.number) if receipt.bill_id else None
    if return_to:
        messages.success(request, _("Paid. Your receipt number is %(reference)s. You can now continue where you left off.")
                         % {"reference": receipt.reference})
        return redirect(return_to)
    messages.success(request, _("Paid and done. Your receipt number is %(reference)s.") % {"reference": receipt.reference})
    return redirect("passports:receipt-detail", reference=receipt.reference)


def _not_done(request, bill, exc):
    if isinstance(exc, ServiceRefused):
        messages.error(request, _("The bill is paid, but the service cannot go ahead today: %(why)s You can ask for a refund.")
                       % {"why": " ".join(reason_texts(exc.decision))})
    else:
        messages.error(request, exc.message())
    return redirect("passports:bill-detail", number=bill.number)


def _fulfil(request, bill):
    try:
        receipt = services.bill_fulfil(bill=bill, actor=request.user, client_address=client_address(request))
    except PassportsError as exc:
        return _not_done(request, bill, exc)
    return _done(request, receipt)


@csrf_exempt
@require_POST
def payment_notification(request):
    """The gateway's server-to-server payment notification (no session, no CSRF token: the HMAC
    signature over the raw body is the proof). Answers as passports.settlement says: 2xx when taken
    or already taken (a replay changes nothing), 4xx when refused; never a page."""
    answer = settlement.payment_notification_receive(
        body=request.body, signature=request.headers.get(signing.SIGNATURE_HEADER, ""),
        client_address=client_address(request))
    return JsonResponse({"status": answer.status}, status=answer.http_status)


@active_account_required
@require_POST
def bill_complete(request, number):
    """Try again the service a paid bill is for (after a refusal that time or the user fixed)."""
    return _fulfil(request, _bill_or_404(request, number))


@active_account_required
@require_POST
def bill_refund(request, number):
    """Asks for the refund: the gateway is called by a task after the commit, never while the page waits."""
    bill = _bill_or_404(request, number)
    try:
        bill = billing.bill_refund_request(bill=bill, actor=request.user, client_address=client_address(request))
    except PassportsError as exc:
        messages.error(request, exc.message())
        return redirect("passports:bill-detail", number=bill.number)
    # Where tasks run eagerly (development), the gateway has answered by now; with a worker, rarely.
    bill.refresh_from_db()
    if bill.status == Bill.Status.REFUNDED:
        messages.success(request, _("The bill was refunded."))
    elif bill.status == Bill.Status.PAID:
        messages.error(request, RefundDeclined().message())
    else:
        messages.info(request, _("The refund was asked for. The payment service has not answered yet: "
                                 "the refund completes on its own."))
    return redirect("passports:bill-detail", number=bill.number)


# --- the public iqama validity inquiry -----------------------------------------------------


def iqama_validity(request):
    """No sign-in: an iqama number and the captcha give valid or expired, with the expiry, and nothing else."""
    from .rules import iqama as iqama_rules

    form = forms.IqamaValidityForm(request.POST or None)
    answer = None
    if request.method == "POST" and form.is_valid():
        today = _today()
        expiry = selectors.iqama_expiry_of(form.cleaned_data["iqama_number"])
        answer = {"found": expiry is not None, "expiry": expiry,
                  "valid": expiry is not None and iqama_rules.is_valid(expiry, today)}
        # A fresh captcha for the next inquiry: one answer per solved challenge.
        form = forms.IqamaValidityForm(initial={"iqama_number": form.cleaned_data["iqama_number"]})
    response = render(request, "passports/iqama_validity.html", {"form": form, "answer": answer})
    response["Cache-Control"] = "no-store"
    return response

