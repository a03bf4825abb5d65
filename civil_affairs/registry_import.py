"""Loading the civil registry from a CSV file: parse and check every row, then write all or nothing.

The checks are pure (no ORM, no clock): what they need of the registry is passed in as
`RegistryPerson` facts and `today` is a parameter. The rules a person obeys are those of
`civil_affairs.person_rules`, which `Person.clean` and `person_update` apply too; this module
only reads the file's text into facts (dates, yes/no, columns) and checks what is particular
to a file (one line per person, parents found in the file or the registry). Only
`registry_import` and `person_records_upsert` touch the database, each in one transaction;
`registry_import` writes one audit row per file (its SHA-256, the counts and the people changed).

The file's header is exactly `CSV_HEADER`; `sex` is M or F, dates are YYYY-MM-DD,
`national_id_issued` is yes or no, and father_id, mother_id and iqama_expiry may be empty.
Line numbers are those of the file (the header is line 1).
"""

import csv
import dataclasses
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from absher.audit import audit_record

from . import person_rules as rules
from .models import Person
from .person_rules import CITIZEN_NATIONALITY, NAME_MAX  # noqa: F401  (the import's format names them)

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
    # Their dates of birth (a parent stays born before each child).
    child_birth_dates: Mapping[str, date] = dataclasses.field(default_factory=dict)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)
    sha256: str = ""

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


# The order in which a line's errors are reported: the columns' order.
_FIELD_ORDER = ("national_id", "name_ar", "name_en", "sex", "birth_date", "nationality", "national_id_issued",
                "iqama_expiry", "father", "mother")
_COLUMN = {"father": "father_id", "mother": "mother_id"}


def _violation_error(line: int, violation: rules.Violation, cells: Mapping[str, str]) -> RowError:
    """A broken registry rule as an error of the file's line, naming the column and what it holds."""
    column = _COLUMN.get(violation.field, violation.field)
    value = cells.get(column, "")
    if len(value) > 40:
        value = value[:40] + "…"
    if value:
        message = _("%(column)s %(value)r: %(error)s") % {"column": column, "value": value, "error": violation.message()}
    else:
        message = _("%(column)s: %(error)s") % {"column": column, "error": violation.message()}
    return RowError(line, violation.code, message)


def _check_row(row: RawRow, *, today: date) -> tuple[PersonRecord | None, list[RowError]]:
    """The checks that need only the row itself: read the cells, then the registry's own rules."""
    cells, line = row.cells, row.line
    unreadable: dict[str, RowError] = {}  # a cell that cannot be read is reported once, as that

    birth_date = _parse_date(cells["birth_date"])
    if birth_date is None:
        unreadable["birth_date"] = RowError(
            line, "birth_date_format", _("birth_date %(value)r is not a date YYYY-MM-DD.") % {"value": cells["birth_date"]}
        )
    issued = _YES_NO.get(cells["national_id_issued"])
    if issued is None:
        unreadable["national_id_issued"] = RowError(
            line, "national_id_issued",
            _("national_id_issued must be yes or no, not %(value)r.") % {"value": cells["national_id_issued"]},
        )
    iqama_expiry = None
    if cells["iqama_expiry"]:
        iqama_expiry = _parse_date(cells["iqama_expiry"])
        if iqama_expiry is None:
            unreadable["iqama_expiry"] = RowError(
                line, "iqama_expiry_format",
                _("iqama_expiry %(value)r is not a date YYYY-MM-DD.") % {"value": cells["iqama_expiry"]},
            )

    facts = rules.PersonFacts(
        national_id=cells["national_id"], name_ar=cells["name_ar"], name_en=cells["name_en"], sex=cells["sex"],
        birth_date=birth_date, nationality=cells["nationality"], iqama_expiry=iqama_expiry,
    )
    violations = rules.own_violations(facts, today=today)
    for role in (rules.FATHER, rules.MOTHER):
        violations += rules.parent_id_violations(
            national_id=facts.national_id, role=role, parent_id=cells[_COLUMN[role]]
        )
    found = list(unreadable.items())
    found += [(v.field, _violation_error(line, v, cells)) for v in violations if v.field not in unreadable]
    found.sort(key=lambda item: _FIELD_ORDER.index(item[0]))
    errors = [error for _name, error in found]

    if errors:
        return None, errors
    return (
        PersonRecord(
            national_id=facts.national_id,
            name_ar=facts.name_ar,
            name_en=facts.name_en,
            sex=facts.sex,
            birth_date=birth_date,
            nationality=facts.nationality,
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

    def facts(national_id: str) -> rules.Relative | None:
        # The file's line wins over the registry: it is what the registry will hold.
        if national_id in in_file:
            return rules.Relative(national_id, in_file[national_id].sex, in_file[national_id].birth_date)
        if national_id in registry and national_id not in ids_in_file:
            return rules.Relative(national_id, registry[national_id].sex, registry[national_id].birth_date)
        return None

    for row, record in checked:
        if record is None:
            continue
        for role, parent_id in ((rules.FATHER, record.father_id), (rules.MOTHER, record.mother_id)):
            if not parent_id:
                continue
            if parent_id not in ids_in_file and parent_id not in registry:
                column = _COLUMN[role]
                errors.append(
                    RowError(
                        row.line,
                        "parent_unknown",
                        _("%(column)s %(id)s is neither in this file nor in the registry.") % {"column": column, "id": parent_id},
                    )
                )
                continue
            parent = facts(parent_id)
            if parent is None:
                continue  # the parent's own line has errors, reported there
            for violation in rules.parent_violations(role=role, child_birth=record.birth_date, parent=parent):
                errors.append(_violation_error(row.line, violation, row.cells))
        existing = registry.get(record.national_id)
        if existing is not None:
            # Children not in the file keep pointing at this person as father or mother.
            births = existing.child_birth_dates
            for violation in rules.children_violations(
                sex=record.sex,
                birth_date=record.birth_date,
                children_as_father={child: births.get(child) for child in existing.child_ids_as_father - ids_in_file},
                children_as_mother={child: births.get(child) for child in existing.child_ids_as_mother - ids_in_file},
            ):
                errors.append(_violation_error(row.line, violation, row.cells))

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
        "national_id", "birth_date", "father_id", "mother_id"
    )
    births: dict[str, date] = {}
    for child_id, child_birth, father_pk, mother_pk in children:
        births[child_id] = child_birth
        if father_pk in by_pk:
            fathered.setdefault(father_pk, set()).add(child_id)
        if mother_pk in by_pk:
            mothered.setdefault(mother_pk, set()).add(child_id)
    return {
        national_id: RegistryPerson(
            national_id, sex, birth, frozenset(fathered.get(pk, ())), frozenset(mothered.get(pk, ())),
            {child: births[child] for child in fathered.get(pk, set()) | mothered.get(pk, set())},
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
    return ImportResult(
        created=len(new),
        updated=len(changed),
        unchanged=len(wanted) - len(new) - len(changed),
        created_ids=sorted(person.national_id for person in new),
        updated_ids=sorted(person.national_id for person in changed),
    )


def file_digest(text: str) -> str:
    """The SHA-256 of a file's text as UTF-8 (the command gives the digest of the bytes it read)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def registry_import(
    *, text: str, today: date, sha256: str = "", source: str = "", actor=None, client_address: str | None = None
) -> ImportResult:
    """Check a registry CSV file and, if no line has an error, load it (all of it, or nothing).

    Every run leaves one audit row: `registry_imported` with the file's SHA-256, the counts and
    the ID numbers of the people created and updated, or `registry_import_refused` with the
    number of errors when nothing was loaded. `source` names the file (its name, not its path).
    """
    sha256 = sha256 or file_digest(text)

    def refused(errors: list[RowError]) -> ImportResult:
        audit_record(
            action="registry_import_refused", actor=actor, subject_label=source[:64], client_address=client_address,
            sha256=sha256, file=source, errors=len(errors), lines=sorted({error.line for error in errors})[:100],
        )
        return ImportResult(errors=errors, sha256=sha256)

    rows, errors = registry_parse(text)
    with transaction.atomic():
        if any(error.line == 1 for error in errors):
            return refused(errors)  # without a good header no line can be read
        # Read and write in one transaction so that the registry cannot change in between.
        ids = referenced_ids(rows)
        list(Person.objects.select_for_update().filter(national_id__in=ids).values_list("pk", flat=True))
        records, row_errors = registry_validate(rows, today=today, registry=registry_facts(ids))
        errors = sorted(errors + row_errors, key=lambda error: error.line)
        if errors:
            return refused(errors)
        result = person_records_upsert(records)
        result.sha256 = sha256
        audit_record(
            action="registry_imported", actor=actor, subject_label=source[:64], client_address=client_address,
            sha256=sha256, file=source, created=result.created, updated=result.updated, unchanged=result.unchanged,
            created_ids=result.created_ids, updated_ids=result.updated_ids,
        )
    return result
