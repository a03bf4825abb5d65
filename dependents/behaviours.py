"""The add-dependent request type, as the request inbox sees it (registered in DependentsConfig.ready)."""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext, ngettext

from absher.audit import audit_record
from civil_affairs import ages
from civil_affairs import selectors as registry
from civil_affairs.inbox import Choice, Refusal, RequestBehaviour, RequestNotAllowed
from civil_affairs.templatetags.calendars import dual_date

from . import eligibility, selectors
from .forms import AddDependentForm
from .models import GuardianLink

NOT_IN_REGISTRY = "not_in_registry"
PENDING_REQUEST = eligibility.PENDING_REQUEST
FIELD = "dependent_national_id"


def _not_related_text() -> str:
    # The same words for an unknown number and for someone else's child: a refusal tells a
    # stranger nothing about who is in the registry.
    return gettext("The civil registry does not record you as the father or mother of the person with this ID number.")


def _too_young_text(sex: str | None, when: date | None) -> str:
    """The wait, naming "your son" or "your daughter" when the registry says which (only a parent
    ever reads it: anyone else learns only that they are not one)."""
    if when is None:
        if sex == eligibility.MALE:
            return gettext("Your son can be added from the age of 14 years and 10 months.")
        if sex == eligibility.FEMALE:
            return gettext("Your daughter can be added from the age of 14 years and 10 months.")
        return gettext("A son or daughter can be added from the age of 14 years and 10 months.")
    values = {"date": dual_date(when)}
    if sex == eligibility.MALE:
        return gettext("Your son can be added from the age of 14 years and 10 months: from %(date)s.") % values
    if sex == eligibility.FEMALE:
        return gettext("Your daughter can be added from the age of 14 years and 10 months: from %(date)s.") % values
    return gettext("A son or daughter can be added from the age of 14 years and 10 months: from %(date)s.") % values


def reason_text(code: str, decision: eligibility.Decision | None = None, *, sex: str | None = None) -> str:
    """What the citizen reads for a reason code (in the active language); `sex` is the person's,
    when known, for "your son" / "your daughter"."""
    if code in (NOT_IN_REGISTRY, eligibility.NOT_PARENT):
        return _not_related_text()
    if code == eligibility.TOO_YOUNG:
        return _too_young_text(sex, decision.eligible_from if decision is not None else None)
    if code == eligibility.MALE_18_OR_OVER and decision is not None and decision.eligible_until:
        # No brackets round the date: dual_date already puts the Hijri date in brackets.
        return gettext(
            "A son can be added only before his 18th birthday. He turned 18 on %(date)s and can now register his "
            "own account."
        ) % {"date": dual_date(decision.eligible_until)}
    texts = {
        eligibility.NOT_LIVING: gettext("The civil registry does not record this person as living."),
        eligibility.MALE_18_OR_OVER: gettext("A son can be added only before his 18th birthday."),
        eligibility.HOLDS_NATIONAL_ID: gettext("This person already holds a national ID card."),
        eligibility.HAS_ACCOUNT: gettext("This person already has an account on the portal."),
        eligibility.ALREADY_ADDED: gettext("This person has already been added as a dependent."),
        eligibility.PENDING_REQUEST: gettext(
            "A request to add this person as a dependent is already being handled. A new one can be filed once it is closed."
        ),
    }
    return texts[code]


def refusal_for(
    reasons: tuple[str, ...], decision: eligibility.Decision | None = None, *, sex: str | None = None
) -> Refusal:
    allowed_from = decision.eligible_from if decision is not None and reasons == (eligibility.TOO_YOUNG,) else None
    until = decision.eligible_until if decision is not None else None
    return Refusal(
        reasons=reasons,
        messages=tuple(reason_text(code, decision, sex=sex) for code in reasons),
        allowed_from=allowed_from,
        details={"eligible_until": until.isoformat() if until else None},
    )


def _refusal(
    reasons: tuple[str, ...], decision: eligibility.Decision | None = None, *, sex: str | None = None
) -> RequestNotAllowed:
    return RequestNotAllowed(refusal_for(reasons, decision, sex=sex))


def _decide(
    *, applicant, person, today: date, filing: bool, already_added: bool | None = None,
    open_request: bool | None = None,
) -> tuple[tuple[str, ...], eligibility.Decision]:
    """The rule's decision, and the reasons to tell this applicant.

    `filing`: an open request for the person, by either parent, stands in the way of a new one
    (at approval the open request is the one being decided). `already_added` and `open_request`,
    when given, are those facts read beforehand for many people at once (`choices`).

    Someone who is not the person's parent learns only that: the other reasons would tell a
    stranger the person's age, documents, account or death.
    """
    guardian = applicant.person.national_id if applicant.person_id else ""
    if already_added is None:
        already_added = selectors.dependent_already_added(person)
    if filing and open_request is None:
        open_request = selectors.add_request_open(person=person)
    decision = eligibility.decide(
        candidate=selectors.candidate_facts(person),
        guardian_national_id=guardian,
        already_added=already_added,
        open_request=bool(filing and open_request),
        today=today,
    )
    if eligibility.NOT_PARENT in decision.reasons:
        return (eligibility.NOT_PARENT,), decision
    return decision.reasons, decision


def _national_id(data: dict) -> str:
    return str((data or {}).get(FIELD) or "")


class AddDependentRequest(RequestBehaviour):
    """A father or mother asks to add their son or daughter; staff approve, and the link is made."""

    code = "add_dependent"
    form_class = AddDependentForm
    explanation_template = "dependents/add_dependent_explanation.html"
    # The parent picks the son or daughter first; only one who may be added reaches the form.
    choice_field = FIELD
    choice_template = "dependents/add_dependent_choose.html"

    def choices(self, *, applicant, today: date) -> list[Choice]:
        """The applicant's sons and daughters in the registry, each decided by the same rule as
        on submit (`check`), with what stands in the way and until when. A fixed number of
        queries, however many children."""
        if not applicant.person_id:
            return []
        children = selectors.children_of(applicant.person)
        added = selectors.already_added_ids(children)
        pending = selectors.add_requests_open_ids(children)
        language = "ar" if (get_language() or "ar").startswith("ar") else "en"
        found = []
        for child in children:
            reasons, decision = _decide(
                applicant=applicant, person=child, today=today, filing=True,
                already_added=child.pk in added, open_request=child.pk in pending,
            )
            found.append(
                Choice(
                    value=child.national_id,
                    label=child.display_name(language),
                    refusal=refusal_for(reasons, decision, sex=child.sex) if reasons else None,
                    details={"person": child, "already_added": child.pk in added, "pending": child.pk in pending,
                             "eligible_until": decision.eligible_until},
                )
            )
        found.sort(key=lambda choice: not choice.allowed)  # those who can be added first, then the others
        return found

    def subject(self, *, applicant, data: dict):
        national_id = _national_id(data)
        return registry.person_by_national_id(national_id) if national_id else None

    def check(self, *, applicant, data: dict, today: date) -> None:
        national_id = _national_id(data)
        # Inside the submission's transaction, hold the child's registry row until it commits: the
        # applicant's lock alone lets a father and a mother filing at once both find no open request.
        lock = transaction.get_connection().in_atomic_block
        person = selectors.person_for_eligibility(national_id, lock=lock) if national_id else None
        if person is None:
            raise _refusal((NOT_IN_REGISTRY,))
        reasons, decision = _decide(applicant=applicant, person=person, today=today, filing=True)
        if reasons:
            raise _refusal(reasons, decision, sex=person.sex)

    def approve(self, *, request, actor, today: date) -> None:
        """Check the rule again on the day of the decision, then link (in the caller's transaction)."""
        national_id = request.subject.national_id if request.subject_id else _national_id(request.data)
        person = selectors.person_for_eligibility(national_id, lock=True) if national_id else None
        if person is None:
            raise _refusal((NOT_IN_REGISTRY,))
        applicant = request.applicant
        reasons, decision = _decide(applicant=applicant, person=person, today=today, filing=False)
        if reasons:
            raise _refusal(reasons, decision, sex=person.sex)
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves the caller's transaction usable
                GuardianLink.objects.create(
                    guardian=applicant.person,
                    dependent=person,
                    guardian_account=applicant,
                    relation=decision.relation,
                    request=request,
                    created_by=actor,
                )
        except IntegrityError:
            raise _refusal((eligibility.ALREADY_ADDED,), decision) from None
        audit_record(
            action="dependent_added",
            actor=actor,
            subject=applicant,
            reference=request.reference or "",
            dependent=person.national_id,
            relation=decision.relation,
        )

    def summary(self, *, request) -> list[tuple[str, str]]:
        person = request.subject if request.subject_id else None
        if person is None:
            return [(gettext("Dependent's ID number"), _national_id(request.data))]
        language = "ar" if (get_language() or "ar").startswith("ar") else "en"
        calendar = registry.age_calendar(person)
        years = ages.age_in_years(person.birth_date, timezone.localdate(), calendar=calendar)
        if calendar == ages.HIJRI:
            age = ngettext("%(years)d year (Hijri)", "%(years)d years (Hijri)", years) % {"years": years}
        else:
            age = ngettext("%(years)d year (Gregorian)", "%(years)d years (Gregorian)", years) % {"years": years}
        return [
            (gettext("Dependent's name"), person.display_name(language)),
            (gettext("Dependent's ID number"), person.national_id),
            (gettext("Sex"), person.get_sex_display()),
            (gettext("Date of birth"), dual_date(person.birth_date)),
            (gettext("Age"), age),
        ]
