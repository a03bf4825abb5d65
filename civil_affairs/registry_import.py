"""Loading the civil registry from a CSV file: parse and check every row, then write all or nothing.

The checks are pure (no ORM, no clock): what they need of the registry is passed in as
`RegistryPerson` facts and `today` is a parameter. Only `registry_import` and
`person_records_upsert` touch the database, each in one transaction.

The file's header is exactly `CSV_HEADER`; `sex` is M or F, dates are YYYY-MM-DD,
`national_id_issued` is yes or no, and father_id, mother_id and iqama_expiry may be empty.
Line numbers are those of the file (the header is line 1).
"""

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .identity import CITIZEN, RESIDENT, id_kind, validate_id_number
from .models import Person

CSV_HEADER = (
    "national_id",
    "name_ar",
    "name_en",
    "sex",
    "birth_date",
    "nationality",
    "father_id",
    "mother_id",
    "national_id_issued",
    "iqama_expiry",
)
NAME_MAX = 200
CITIZEN_NATIONALITY = "SA"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YES_NO = {"yes": True, "no": False}
_PERSON_FIELDS = ("name_ar", "name_en", "sex", "birth_date", "nationality", "national_id_issued", "iqama_expiry")


@dataclass(frozen=True)
class PersonRecord:
    """One person as the registry should hold it. `status` None: living if new, unchanged if not."""

    national_id: str
    name_ar: str
    name_en: str
    sex: str
    birth_date: date
    nationality: str
    father_id: str = ""
    mother_id: str = ""
    national_id_issued: bool = False
    iqama_expiry: date | None = None
    status: str | None = None


@dataclass(frozen=True)
class RowError:
    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class RawRow:
    """A row of the file as text, by column name."""

    line: int
    cells: Mapping[str, str]


@dataclass(frozen=True)
class RegistryPerson:
    """What the checks need of a person already in the registry."""

    national_id: str
    sex: str
    birth_date: date
    # Children outside the file keep naming this person as father or mother.
    child_ids_as_father: frozenset[str] = frozenset()
    child_ids_as_mother: frozenset[str] = frozenset()


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- parsing (pure) ----------------------------------------------------------------------


def registry_parse(text: str) -> tuple[list[RawRow], list[RowError]]:
    """Split the file into rows of ten named cells; a wrong header stops here."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as error:
        return [], [RowError(1, "csv", _("The file is not valid CSV: %(error)s.") % {"error": error})]
    if header is None:
        return [], [RowError(1, "empty", _("The file is empty: it needs a header line and one line per person."))]
    if tuple(cell.strip() for cell in header) != CSV_HEADER:
        return [], [
            RowError(1, "header", _("The header must be exactly: %(header)s.") % {"header": ",".join(CSV_HEADER)})
        ]
    rows, errors = [], []
    next_line = reader.line_num + 1
    while True:
        line = next_line
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors.append(RowError(line, "csv", _("This line is not valid CSV: %(error)s.") % {"error": error}))
            break
        next_line = reader.line_num + 1  # a quoted cell may span lines
        if not any(cell.strip() for cell in cells):
            continue  # blank lines (a trailing newline, a spacer) carry no person
        if len(cells) != len(CSV_HEADER):
            errors.append(
                RowError(
                    line,
                    "columns",
                    _("This line has %(found)d columns; it must have %(expected)d.")
                    % {"found": len(cells), "expected": len(CSV_HEADER)},
                )
            )
            continue
        rows.append(RawRow(line, dict(zip(CSV_HEADER, (cell.strip() for cell in cells), strict=True))))
    return rows, errors


def referenced_ids(rows: Iterable[RawRow]) -> set[str]:
    """Every ID a file names, as a person or as a parent (what to look up in the registry)."""
    return {row.cells[name] for row in rows for name in ("national_id", "father_id", "mother_id") if row.cells[name]}


# --- checks (pure) -----------------------------------------------------------------------


def _parse_date(value: str) -> date | None:
    if not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _id_error(number: str) -> ValidationError | None:
    try:
        validate_id_number(number)
    except ValidationError as error:
        return error
    return None


def _check_row(row: RawRow, *, today: date) -> tuple[PersonRecord | None, list[RowError]]:
    """The checks that need only the row itself."""
    cells, line = row.cells, row.line
    errors: list[RowError] = []

    def fail(code: str, message: str) -> None:
        errors.append(RowError(line, code, message))

    national_id = cells["national_id"]
    id_error = _id_error(national_id)
    if id_error is not None:
        fail(id_error.code, _("national_id %(value)r: %(error)s") % {"value": national_id, "error": id_error.messages[0]})
    kind = id_kind(national_id) if id_error is None else None

    for name, missing in (
        ("name_ar", _("The Arabic name (name_ar) is empty.")),
        ("name_en", _("The English name (name_en) is empty.")),
    ):
        if not cells[name]:
            fail(f"{name}_missing", missing)
        elif len(cells[name]) > NAME_MAX:
            fail("name_too_long", _("%(column)s is longer than %(max)d characters.") % {"column": name, "max": NAME_MAX})

    sex = cells["sex"]
    if sex not in Person.Sex.values:
        fail("sex", _("sex must be M or F, not %(value)r.") % {"value": sex})

    birth_date = _parse_date(cells["birth_date"])
    if birth_date is None:
        fail("birth_date_format", _("birth_date %(value)r is not a date YYYY-MM-DD.") % {"value": cells["birth_date"]})
    elif birth_date > today:
        fail("birth_date_future", _("birth_date %(value)s is in the future.") % {"value": birth_date.isoformat()})

    nationality = cells["nationality"]
    if not re.fullmatch(r"[A-Z]{2}", nationality):
        fail("nationality", _("nationality must be two capital letters (ISO 3166), not %(value)r.") % {"value": nationality})
    elif kind == CITIZEN and nationality != CITIZEN_NATIONALITY:
        fail(
            "citizen_nationality",
            _("An ID number starting with 1 is a citizen's: nationality must be %(code)s.") % {"code": CITIZEN_NATIONALITY},
        )

    issued = _YES_NO.get(cells["national_id_issued"])
    if issued is None:
        fail("national_id_issued", _("national_id_issued must be yes or no, not %(value)r.") % {"value": cells["national_id_issued"]})

    iqama_expiry = None
    if cells["iqama_expiry"]:
        iqama_expiry = _parse_date(cells["iqama_expiry"])
        if iqama_expiry is None:
            fail("iqama_expiry_format", _("iqama_expiry %(value)r is not a date YYYY-MM-DD.") % {"value": cells["iqama_expiry"]})
        elif kind == CITIZEN:
            fail("citizen_iqama", _("A citizen (ID starting with 1) has no iqama: leave iqama_expiry empty."))
    elif kind == RESIDENT:
        fail("iqama_expiry_missing", _("A resident (iqama number starting with 2) needs an iqama_expiry."))

    for name in ("father_id", "mother_id"):
        parent_id = cells[name]
        if not parent_id:
            continue
        parent_error = _id_error(parent_id)
        if parent_error is not None:
            fail(
                "parent_id_invalid",
                _("%(column)s %(value)r: %(error)s") % {"column": name, "value": parent_id, "error": parent_error.messages[0]},
            )
        elif parent_id == national_id:
            fail("parent_is_self", _("A person is not their own parent (%(column)s).") % {"column": name})

    if errors:
        return None, errors
    return (
        PersonRecord(
            national_id=national_id,
            name_ar=cells["name_ar"],
            name_en=cells["name_en"],
            sex=sex,
            birth_date=birth_date,
            nationality=nationality,
            father_id=cells["father_id"],
            mother_id=cells["mother_id"],
            national_id_issued=issued,
            iqama_expiry=iqama_expiry,
        ),
        [],
    )


def registry_validate(
    rows: list[RawRow], *, today: date, registry: Mapping[str, RegistryPerson]
) -> tuple[list[PersonRecord], list[RowError]]:
    """Check every row, alone and against the others and the registry; all errors, in line order.

    `registry` holds the people already in the registry that the file names (see `referenced_ids`).
    """
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    checked: list[tuple[RawRow, PersonRecord | None]] = []
    for row in rows:
        record, row_errors = _check_row(row, today=today)
        errors.extend(row_errors)
        national_id = row.cells["national_id"]
        if national_id in first_line:
            errors.append(
                RowError(
                    row.line,
                    "duplicate_id",
                    _("%(id)s is already on line %(line)d: one line per person.") % {"id": national_id, "line": first_line[national_id]},
                )
            )
            record = None
        else:
            first_line[national_id] = row.line
        checked.append((row, record))

    in_file = {record.national_id: record for _row, record in checked if record is not None}
    ids_in_file = set(first_line)

    def facts(national_id: str) -> tuple[str, date] | None:
        # The file's line wins over the registry: it is what the registry will hold.
        if national_id in in_file:
            return in_file[national_id].sex, in_file[national_id].birth_date
        if national_id in registry and national_id not in ids_in_file:
            return registry[national_id].sex, registry[national_id].birth_date
        return None

    for row, record in checked:
        if record is None:
            continue
        for name, parent_id, sex, sex_code, sex_message in (
            ("father_id", record.father_id, Person.Sex.MALE, "father_not_male", _("The father %(id)s is not male.")),
            ("mother_id", record.mother_id, Person.Sex.FEMALE, "mother_not_female", _("The mother %(id)s is not female.")),
        ):
            if not parent_id:
                continue
            if parent_id not in ids_in_file and parent_id not in registry:
                errors.append(
                    RowError(
                        row.line,
                        "parent_unknown",
                        _("%(column)s %(id)s is neither in this file nor in the registry.") % {"column": name, "id": parent_id},
                    )
                )
                continue
            parent = facts(parent_id)
            if parent is None:
                continue  # the parent's own line has errors, reported there
            parent_sex, parent_birth = parent
            if parent_sex != sex:
                errors.append(RowError(row.line, sex_code, sex_message % {"id": parent_id}))
            if parent_birth >= record.birth_date:
                errors.append(
                    RowError(
                        row.line,
                        "parent_not_older",
                        _("%(column)s %(id)s is not born before this person.") % {"column": name, "id": parent_id},
                    )
                )
        existing = registry.get(record.national_id)
        if existing is not None:
            # Children not in the file keep pointing at this person as father or mother.
            fathered = existing.child_ids_as_father - ids_in_file
            mothered = existing.child_ids_as_mother - ids_in_file
            if (fathered and record.sex != Person.Sex.MALE) or (mothered and record.sex != Person.Sex.FEMALE):
                errors.append(
                    RowError(
                        row.line,
                        "sex_conflicts_children",
                        _("The registry names %(id)s as the %(role)s of %(child)s: the sex cannot change.")
                        % {
                            "id": record.national_id,
                            "role": _("father") if fathered else _("mother"),
                            "child": sorted(fathered or mothered)[0],
                        },
                    )
                )

    errors.sort(key=lambda error: error.line)
    records = [record for _row, record in checked if record is not None]
    return records, errors


def registry_check(
    text: str, *, today: date, registry: Mapping[str, RegistryPerson]
) -> tuple[list[PersonRecord], list[RowError]]:
    """Parse and check a whole file (pure). The records are only meaningful when there is no error."""
    rows, errors = registry_parse(text)
    if any(error.line == 1 for error in errors):
        return [], errors
    records, row_errors = registry_validate(rows, today=today, registry=registry)
    return records, sorted(errors + row_errors, key=lambda error: error.line)


def registry_csv(records: Iterable[PersonRecord]) -> str:
    """The CSV text of some records, in the import format (status is not part of it)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for record in records:
        writer.writerow(
            [
                record.national_id,
                record.name_ar,
                record.name_en,
                record.sex,
                record.birth_date.isoformat(),
                record.nationality,
                record.father_id,
                record.mother_id,
                "yes" if record.national_id_issued else "no",
                record.iqama_expiry.isoformat() if record.iqama_expiry else "",
            ]
        )
    return out.getvalue()


# --- reading the registry and writing ------------------------------------------------------


def registry_facts(national_ids: Iterable[str]) -> dict[str, RegistryPerson]:
    """The registry's facts about these people (those it holds), for `registry_validate`."""
    national_ids = set(national_ids)
    people = Person.objects.filter(national_id__in=national_ids).values_list("pk", "national_id", "sex", "birth_date")
    by_pk = {pk: (national_id, sex, birth) for pk, national_id, sex, birth in people}
    fathered: dict[int, set[str]] = {}
    mothered: dict[int, set[str]] = {}
    children = Person.objects.filter(Q(father_id__in=by_pk) | Q(mother_id__in=by_pk)).values_list(
        "national_id", "father_id", "mother_id"
    )
    for child_id, father_pk, mother_pk in children:
        if father_pk in by_pk:
            fathered.setdefault(father_pk, set()).add(child_id)
        if mother_pk in by_pk:
            mothered.setdefault(mother_pk, set()).add(child_id)
    return {
        national_id: RegistryPerson(
            national_id, sex, birth, frozenset(fathered.get(pk, ())), frozenset(mothered.get(pk, ()))
        )
        for pk, (national_id, sex, birth) in by_pk.items()
    }


def person_records_upsert(records: list[PersonRecord]) -> ImportResult:
    """Create or update people by national_id in one transaction; parents are set once all exist.

    Idempotent: a person whose fields already match is not written. The records must be
    valid (see `registry_validate`); their parents must be among them or in the registry.
    """
    now = timezone.now()
    wanted = {record.national_id: record for record in records}
    with transaction.atomic():
        existing = {p.national_id: p for p in Person.objects.select_for_update().filter(national_id__in=wanted)}
        new = [
            Person(
                national_id=national_id,
                status=record.status or Person.Status.LIVING,
                **{name: getattr(record, name) for name in _PERSON_FIELDS},
            )
            for national_id, record in wanted.items()
            if national_id not in existing
        ]
        Person.objects.bulk_create(new, batch_size=500)

        # Every person of the file exists now, so a parent may come after the child.
        parent_ids = {r.father_id for r in records if r.father_id} | {r.mother_id for r in records if r.mother_id}
        pk_by_id = dict(Person.objects.filter(national_id__in=set(wanted) | parent_ids).values_list("national_id", "pk"))
        new_with_parents, changed = [], []
        for national_id, record in wanted.items():
            father_pk = pk_by_id[record.father_id] if record.father_id else None
            mother_pk = pk_by_id[record.mother_id] if record.mother_id else None
            person = existing.get(national_id)
            if person is None:
                if father_pk or mother_pk:
                    new_with_parents.append(Person(pk=pk_by_id[national_id], father_id=father_pk, mother_id=mother_pk))
                continue
            values = {name: getattr(record, name) for name in _PERSON_FIELDS}
            values.update(father_id=father_pk, mother_id=mother_pk, status=record.status or person.status)
            if any(getattr(person, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(person, name, value)
                person.updated_at = now  # bulk_update skips auto_now
                changed.append(person)
        Person.objects.bulk_update(new_with_parents, ["father", "mother"], batch_size=500)
        Person.objects.bulk_update(changed, [*_PERSON_FIELDS, "father", "mother", "status", "updated_at"], batch_size=500)
    return ImportResult(created=len(new), updated=len(changed), unchanged=len(wanted) - len(new) - len(changed))


def registry_import(*, text: str, today: date) -> ImportResult:
    """Check a registry CSV file and, if no line has an error, load it (all of it, or nothing)."""
    rows, errors = registry_parse(text)
    if any(error.line == 1 for error in errors):
        return ImportResult(errors=errors)  # without a good header no line can be read
    with transaction.atomic():
        # Read and write in one transaction so that the registry cannot change in between.
        ids = referenced_ids(rows)
        list(Person.objects.select_for_update().filter(national_id__in=ids).values_list("pk", flat=True))
        records, row_errors = registry_validate(rows, today=today, registry=registry_facts(ids))
        errors = sorted(errors + row_errors, key=lambda error: error.line)
        if errors:
            return ImportResult(errors=errors)
        return person_records_upsert(records)
