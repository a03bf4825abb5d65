"""Reads for the dependents service: links, the registry facts the rule needs, requests about dependents."""

from django.db.models import Q

from civil_affairs import selectors as registry
from civil_affairs.models import Person, ServiceRequest
from civil_affairs.statuses import OPEN

from . import eligibility
from .models import GuardianLink

ADD_DEPENDENT = "add_dependent"


def links_of(user) -> Q:
    """The links of `user`'s dependents: by the registry person the account is for, so that a
    person who closed an account and registered again keeps their dependents (the link's
    `guardian_account` stays the account that added them: a record of who asked)."""
    if user.person_id is None:
        return Q(guardian_account=user)
    return Q(guardian_id=user.person_id)


def dependents_of(user):
    """The user's dependents' links, the person with each, youngest last."""
    return (
        GuardianLink.objects.filter(links_of(user))
        .select_related("dependent")
        .order_by("dependent__birth_date", "dependent__national_id")
    )


def person_for_eligibility(national_id: str, *, lock: bool = False) -> Person | None:
    """The registry person, with what `candidate_facts` reads, in one query.

    `lock` (inside a transaction) holds the person's row, as registration does, so that two
    approvals for one person, an approval and the person's own registration, or the father's
    and the mother's submissions for one child, take turns.
    """
    people = Person.objects.filter(national_id=national_id).select_related("father", "mother", "account")
    if lock:
        people = people.select_for_update(of=("self",))
    return people.first()


def person_has_account(person: Person) -> bool:
    return hasattr(person, "account")  # the reverse one-to-one raises an AttributeError when there is none


def candidate_facts(person: Person) -> eligibility.Candidate:
    return eligibility.Candidate(
        national_id=person.national_id,
        sex=person.sex,
        birth_date=person.birth_date,
        age_calendar=registry.age_calendar(person),
        living=person.is_living,
        national_id_issued=person.national_id_issued,
        has_account=person_has_account(person),
        father_national_id=person.father.national_id if person.father_id else None,
        mother_national_id=person.mother.national_id if person.mother_id else None,
    )


def dependent_already_added(person: Person) -> bool:
    return GuardianLink.objects.filter(dependent=person).exists()


def add_request_open(*, person: Person) -> bool:
    """Whether an add-dependent request for this person, by anyone, is still being processed."""
    return ServiceRequest.objects.filter(subject=person, request_type__code=ADD_DEPENDENT, status__in=OPEN).exists()


def dependent_requests_of(user, *, dependent_ids):
    """The user's requests about these dependents, and the user's add-dependent requests, in one query."""
    return registry.requests_of(user).filter(
        Q(subject_id__in=list(dependent_ids)) | Q(request_type__code=ADD_DEPENDENT)
    )


def children_of(person: Person) -> list[Person]:
    """The person's sons and daughters in the civil registry, eldest first, with what
    `candidate_facts` reads (one query)."""
    return list(
        Person.objects.filter(Q(father=person) | Q(mother=person))
        .exclude(pk=person.pk)
        .select_related("father", "mother", "account")
        .order_by("birth_date", "national_id")
    )


def already_added_ids(people) -> set[int]:
    """Which of these people were added as a dependent (to anyone): one query."""
    return set(GuardianLink.objects.filter(dependent__in=[p.pk for p in people]).values_list("dependent_id", flat=True))


def add_requests_open_ids(people) -> set[int]:
    """Which of these people have an add-dependent request still being processed, by anyone: one query."""
    return set(
        ServiceRequest.objects.filter(
            subject__in=[p.pk for p in people], request_type__code=ADD_DEPENDENT, status__in=OPEN
        ).values_list("subject_id", flat=True)
    )
