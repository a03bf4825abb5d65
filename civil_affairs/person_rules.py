"""What a person of the civil registry must obey: one place for the rules that `Person.clean`,
the CSV import (`registry_import`) and the staff change (`person_update`) all check.

Pure: no ORM and no clock. The caller turns what it holds (a model instance, a line of a file)
into `PersonFacts` and `Relative`s, passes `today`, and gets `Violation`s back, each naming the
field it concerns and a reason code; an empty list means the facts are valid. A fact the caller
could not read (a date that did not parse, an invalid ID number) is passed as None or is skipped
by the rules that need it, so that one mistake is reported once.

The rules:
- ID and iqama numbers: 10 digits, 1 = citizen, 2 = resident, Luhn check digit (`identity`).
- Names in Arabic and English are present and at most `NAME_MAX` characters.
- Sex is M or F; a date of birth is not in the future.
- Nationality is an ISO 3166 two-letter code in capitals; a citizen's is `CITIZEN_NATIONALITY`.
- A resident (iqama number) has an iqama expiry; a citizen has none.
- A father is male and a mother female, each born before the child, and nobody is their own
  parent; a person who is somebody's parent keeps the sex that makes them that parent and is
  born before each child.
"""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .identity import CITIZEN, RESIDENT, id_kind, validate_id_number

NAME_MAX = 200
CITIZEN_NATIONALITY = "SA"
MALE, FEMALE = "M", "F"
SEXES = (MALE, FEMALE)
FATHER, MOTHER = "father", "mother"
PARENT_SEX = {FATHER: MALE, MOTHER: FEMALE}

# One message a reason code (the ID number codes take theirs from `identity.validate_id_number`).
MESSAGES = {
    "name_ar_missing": _("The name in Arabic is empty."),
    "name_en_missing": _("The name in English is empty."),
    "name_too_long": _("A name has at most %(max)d characters."),
    "sex": _("Sex is M (male) or F (female)."),
    "birth_date_future": _("The date of birth is in the future."),
    "nationality": _("Use the two-letter country code, e.g. SA."),
    "citizen_nationality": _("An ID number starting with 1 is a citizen's: the nationality must be %(country)s."),
    "citizen_iqama": _("A citizen (ID number starting with 1) cannot have an iqama expiry date: leave it empty."),
    "iqama_expiry_missing": _("A resident has an iqama expiry date."),
    "parent_id_invalid": _("The parent's ID number is not valid: %(error)s"),
    "parent_is_self": _("A person cannot be their own parent."),
    "parent_unknown": _("No person with the ID number %(id)s is in the registry."),
    "father_not_male": _("The father must be male."),
    "mother_not_female": _("The mother must be female."),
    "parent_not_older": _("A parent is born before the child."),
    "sex_conflicts_children": _("The registry names this person as the %(role)s of %(child)s: the sex cannot change."),
    "born_after_child": _("The registry names this person as the %(role)s of %(child)s, who is born earlier."),
}
ROLE_NAMES = {FATHER: _("father"), MOTHER: _("mother")}


@dataclass(frozen=True)
class Violation:
    """A broken rule: the field it concerns (the model's name), its reason code, the message's values."""

    field: str
    code: str
    params: Mapping = dataclasses.field(default_factory=dict)
    text: str = ""  # set for the ID number codes, whose message comes with them

    def message(self) -> str:
        if self.text:
            return str(self.text)
        params = {key: str(ROLE_NAMES[value]) if key == "role" else value for key, value in self.params.items()}
        return str(MESSAGES[self.code]) % params if params else str(MESSAGES[self.code])


@dataclass(frozen=True)
class PersonFacts:
    """A person as the registry would hold them. None: the caller could not read that fact."""

    national_id: str
    name_ar: str
    name_en: str
    sex: str
    birth_date: date | None
    nationality: str
    iqama_expiry: date | None = None


@dataclass(frozen=True)
class Relative:
    """A parent or a child, as far as the rules need them."""

    national_id: str
    sex: str
    birth_date: date | None


def id_number_violation(number: str, *, field_name: str = "national_id") -> Violation | None:
    try:
        validate_id_number(number)
    except ValidationError as error:
        return Violation(field_name, error.code, text=error.messages[0])
    return None


def kind_of(number: str) -> str | None:
    """citizen or resident, or None for a number that is not valid."""
    return id_kind(number) if id_number_violation(number) is None else None


def own_violations(person: PersonFacts, *, today: date) -> list[Violation]:
    """The rules that need only the person's own facts, in the order of the fields."""
    found: list[Violation] = []
    id_violation = id_number_violation(person.national_id)
    if id_violation is not None:
        found.append(id_violation)
    kind = None if id_violation else id_kind(person.national_id)
    for name, missing in (("name_ar", "name_ar_missing"), ("name_en", "name_en_missing")):
        value = getattr(person, name) or ""
        if not value.strip():
            found.append(Violation(name, missing))
        elif len(value) > NAME_MAX:
            found.append(Violation(name, "name_too_long", {"max": NAME_MAX}))
    if person.sex not in SEXES:
        found.append(Violation("sex", "sex"))
    if person.birth_date is not None and person.birth_date > today:
        found.append(Violation("birth_date", "birth_date_future"))
    nationality = person.nationality or ""
    if len(nationality) != 2 or not ("A" <= nationality[0] <= "Z" and "A" <= nationality[1] <= "Z"):
        found.append(Violation("nationality", "nationality"))
    elif kind == CITIZEN and nationality != CITIZEN_NATIONALITY:
        found.append(Violation("nationality", "citizen_nationality", {"country": CITIZEN_NATIONALITY}))
    if kind == CITIZEN and person.iqama_expiry is not None:
        found.append(Violation("iqama_expiry", "citizen_iqama"))
    elif kind == RESIDENT and person.iqama_expiry is None:
        found.append(Violation("iqama_expiry", "iqama_expiry_missing"))
    return found


def parent_id_violations(*, national_id: str, role: str, parent_id: str) -> list[Violation]:
    """The parent's ID number as written: valid, and not the person's own."""
    if not parent_id:
        return []
    id_violation = id_number_violation(parent_id, field_name=role)
    if id_violation is not None:
        return [Violation(role, "parent_id_invalid", {"error": id_violation.message()})]
    if parent_id == national_id:
        return [Violation(role, "parent_is_self")]
    return []


def parent_violations(*, role: str, child_birth: date | None, parent: Relative) -> list[Violation]:
    """A known parent: the right sex, born before the child."""
    found = []
    if parent.sex != PARENT_SEX[role]:
        found.append(Violation(role, "father_not_male" if role == FATHER else "mother_not_female"))
    if child_birth is not None and parent.birth_date is not None and parent.birth_date >= child_birth:
        found.append(Violation(role, "parent_not_older"))
    return found


def children_violations(
    *, sex: str, birth_date: date | None, children_as_father: Mapping[str, date | None],
    children_as_mother: Mapping[str, date | None],
) -> list[Violation]:
    """A person who is somebody's father or mother keeps that sex and stays born before the child.

    The children are given by ID number with their dates of birth.
    """
    found = []
    for role, children in ((FATHER, children_as_father), (MOTHER, children_as_mother)):
        if children and sex != PARENT_SEX[role]:
            found.append(Violation("sex", "sex_conflicts_children", {"role": role, "child": sorted(children)[0]}))
            break
    if birth_date is not None:
        for role, children in ((FATHER, children_as_father), (MOTHER, children_as_mother)):
            elder = sorted(child for child, born in children.items() if born is not None and born <= birth_date)
            if elder:
                found.append(Violation("birth_date", "born_after_child", {"role": role, "child": elder[0]}))
                break
    return found


def person_violations(
    person: PersonFacts, *, today: date, father: Relative | None = None, mother: Relative | None = None,
    children_as_father: Mapping[str, date | None] | None = None, children_as_mother: Mapping[str, date | None] | None = None,
) -> list[Violation]:
    """Every rule for one person whose parents and children are known (the model's clean)."""
    found = own_violations(person, today=today)
    for role, parent in ((FATHER, father), (MOTHER, mother)):
        if parent is None:
            continue
        same = parent_id_violations(national_id=person.national_id, role=role, parent_id=parent.national_id)
        found.extend(same or parent_violations(role=role, child_birth=person.birth_date, parent=parent))
    found.extend(
        children_violations(
            sex=person.sex, birth_date=person.birth_date,
            children_as_father=children_as_father or {}, children_as_mother=children_as_mother or {},
        )
    )
    return found


def as_validation_error(violations: list[Violation]) -> ValidationError:
    """The violations as Django's ValidationError by field, each with its code."""
    by_field: dict[str, list[ValidationError]] = {}
    for violation in violations:
        by_field.setdefault(violation.field, []).append(ValidationError(violation.message(), code=violation.code))
    return ValidationError(by_field)
