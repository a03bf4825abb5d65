"""What a person reads for each reason code of the rules (in the active language)."""

from django.utils.translation import gettext as _

from civil_affairs.templatetags.calendars import dual_date

from .rules import absconding, fines, iqama, passport, travel_permit, visas


def _texts() -> dict[str, str]:
    return {
        # passports
        passport.NOT_CITIZEN: _("This service is for citizens only."),
        passport.GUARDIAN_MUST_APPLY: _(
            "Under 21, a passport is issued on the application of the father or mother (the family rules)."),
        passport.BAD_VALIDITY: _("Choose a validity of 5 or 10 years."),
        passport.TEN_YEARS_FROM_21: _("Under 21, a passport is issued for 5 years only."),
        passport.NEEDS_ID_CARD: _(
            "From the age of 15 a passport needs the holder's own national ID card: issue the card at civil affairs first."),
        passport.UNPAID_FINES: _("There are unpaid fines recorded: pay them first."),
        # iqama
        iqama.NOT_RESIDENT: _("This service is for residents only."),
        iqama.SPONSOR_MUST_APPLY: _(
            "The sponsor (for a worker) or the head of the family (for a family member) applies for this service."),
        iqama.BAD_YEARS: _("Choose one or two years."),
        iqama.NO_VALID_PASSPORT: _("There is no valid passport recorded: renew the passport first."),
        iqama.REPORTED_ABSENT: _("The person is reported absent from work: the services are stopped."),
        iqama.NEEDS_FINGERPRINT: _(
            "The fingerprint is not registered: from the age of 6 it must be registered at a passports office first."),
        iqama.YEARS_TOO_FEW: _(
            "The renewal counts from the old expiry date: choose enough years for the iqama to be valid after today."),
        # visas
        visas.NOT_EXIT_REENTRY: _("Choose a single or a multiple exit/re-entry visa."),
        visas.BAD_DURATION: _("Choose a duration of 1 to 12 months."),
        visas.IQAMA_EXPIRED: _("The iqama has expired: renew it first."),
        visas.IQAMA_DOES_NOT_COVER: _("The iqama does not cover this duration: renew it first or choose a shorter duration."),
        visas.PASSPORT_VALIDITY_SHORT: _("The passport is not valid long enough (90 days for exit/re-entry, 60 for final exit)."),
        visas.ABROAD: _("The person is outside the Kingdom."),
        visas.NOT_ABROAD_ON_VISA: _("A visa is extended only while its holder is abroad on it."),
        visas.EXTENSION_TOO_LATE: _("More than 60 days have passed since the visa expired: it can no longer be extended."),
        visas.EXTENSION_TOO_SHORT: _("Choose enough months for the visa to be valid after today."),
        visas.VISA_OPEN: _("The person already has a visa that is not used up: cancel it or wait until it is used."),
        visas.VISA_USED: _("This visa was used for travel: a used visa cannot be cancelled."),
        visas.VISA_EXPIRED: _("This visa has expired."),
        visas.VISA_CANCELLED: _("This visa is already cancelled."),
        # travel permits
        travel_permit.NOT_PARENT: _("Only the father or the mother gives a travel permit."),
        travel_permit.AGE_21_OR_OVER: _("From the age of 21 no travel permit is needed."),
        travel_permit.PERMIT_ACTIVE: _("There is already an active travel permit: cancel it to issue a new one."),
        travel_permit.UNTIL_NOT_AFTER_TODAY: _("The permit's last day must be after today."),
        travel_permit.BEYOND_PASSPORT: _("A travel permit cannot outlast the passport."),
        travel_permit.BEYOND_21: _("A travel permit ends before the 21st birthday."),
        travel_permit.PERMIT_NOT_ACTIVE: _("This travel permit is not active."),
        # fines
        fines.FINE_PAID: _("This fine is already paid."),
        fines.NOT_ACTING: _("You cannot act for this person in this service."),
        # absence reports
        absconding.NOT_SPONSOR: _("Only the sponsor reports a worker absent from work."),
        absconding.ALREADY_REPORTED: _("This worker was already reported: a worker is reported only once."),
        absconding.FINAL_EXIT_ISSUED: _("A final exit visa was issued to this worker."),
        absconding.ABROAD_ON_VISA: _("The worker is abroad on a valid exit/re-entry visa."),
        absconding.REPORT_NOT_ACTIVE: _("This report is not active."),
        absconding.CANCEL_WINDOW_CLOSED: _("A report can be cancelled only within 15 days of the report."),
        # shared
        "not_living": _("The civil registry does not record this person as living."),
    }


def reason_texts(decision) -> list[str]:
    """The texts of a decision's reasons, with the date waiting will fix, when it will."""
    texts = _texts()
    out = []
    for code in decision.reasons:
        if code == passport.TOO_EARLY:
            if decision.allowed_from:
                out.append(_("It is too early: you can apply from %(date)s.") % {"date": dual_date(decision.allowed_from)})
            else:
                out.append(_("It is too early to renew."))
            continue
        out.append(texts.get(code, code))
    return out


#: The way forward a reason offers on the portal itself (the other reasons' texts say what to do).
PAY_FINES = "pay_fines"
RENEW_IQAMA = "renew_iqama"
RENEW_PASSPORT = "renew_passport"
WAYS_FORWARD = {
    passport.UNPAID_FINES: PAY_FINES,  # the same code in the iqama and visa rules
    visas.IQAMA_EXPIRED: RENEW_IQAMA,
    visas.IQAMA_DOES_NOT_COVER: RENEW_IQAMA,
    travel_permit.NO_VALID_PASSPORT: RENEW_PASSPORT,
}


def ways_forward(decision, *, citizen: bool) -> list[str]:
    """The portal's own ways forward for a decision's reasons, each once, in the reasons' order.
    A resident's passport is their country's: the portal cannot renew it (the text says so)."""
    out = []
    for code in decision.reasons:
        way = WAYS_FORWARD.get(code)
        if way == RENEW_PASSPORT and not citizen:
            continue
        if way == RENEW_IQAMA and citizen:
            continue
        if way and way not in out:
            out.append(way)
    return out
