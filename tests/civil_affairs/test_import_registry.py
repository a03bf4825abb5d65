from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from civil_affairs.models import Person
from civil_affairs.registry_import import CSV_HEADER, registry_check, registry_import, registry_parse
from tests.conftest import make_id

TODAY = date(2026, 3, 1)
FATHER, MOTHER, CHILD = make_id("1", 9001), make_id("1", 9002), make_id("1", 9003)
RESIDENT = make_id("2", 9004)
HEADER = ",".join(CSV_HEADER)


def row(national_id, *, name_ar="سعد محمد الحربي", name_en="Saad Mohammed Al-Harbi", sex="M", birth="1980-05-01",
        nationality="SA", father="", mother="", issued="yes", iqama=""):
    return ",".join([national_id, name_ar, name_en, sex, birth, nationality, father, mother, issued, iqama])


def good_rows():
    return [
        row(FATHER),
        row(MOTHER, name_ar="هيا عبدالعزيز المطيري", name_en="Haya Abdulaziz Al-Mutairi", sex="F", birth="1984-02-10"),
        row(CHILD, name_ar="عمر سعد الحربي", name_en="Omar Saad Al-Harbi", birth="2012-07-20", father=FATHER,
            mother=MOTHER, issued="no"),
        row(RESIDENT, name_ar="أحمد محمود عبدالرحمن", name_en="Ahmed Mahmoud Abdelrahman", birth="1988-11-30",
            nationality="EG", issued="no", iqama="2027-01-15"),
    ]


def csv_text(rows, header=HEADER):
    return "\n".join([header, *rows]) + "\n"


def write_csv(tmp_path, text, *, encoding="utf-8", name="registry.csv"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def run_command(path):
    out, err = StringIO(), StringIO()
    call_command("import_registry", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def codes(errors):
    return [(error.line, error.code) for error in errors]


# --- good files ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_good_file_loads(tmp_path):
    out, err = run_command(write_csv(tmp_path, csv_text(good_rows())))

    assert "created: 4, updated: 0, unchanged: 0" in out
    assert err == ""
    child = Person.objects.get(national_id=CHILD)
    assert child.father.national_id == FATHER
    assert child.mother.national_id == MOTHER
    assert child.status == Person.Status.LIVING
    assert child.birth_date == date(2012, 7, 20)
    assert not child.national_id_issued
    resident = Person.objects.get(national_id=RESIDENT)
    assert resident.iqama_expiry == date(2027, 1, 15)
    assert resident.nationality == "EG"
    assert resident.name_ar == "أحمد محمود عبدالرحمن"


@pytest.mark.django_db
def test_loading_twice_changes_nothing_the_second_time(tmp_path):
    path = write_csv(tmp_path, csv_text(good_rows()))
    run_command(path)
    stamps = dict(Person.objects.values_list("national_id", "updated_at"))

    out, _err = run_command(path)

    assert "created: 0, updated: 0, unchanged: 4" in out
    assert dict(Person.objects.values_list("national_id", "updated_at")) == stamps
    assert Person.objects.count() == 4


@pytest.mark.django_db
def test_a_parent_may_come_later_in_the_file_than_the_child():
    father, mother, child = good_rows()[:3]
    result = registry_import(text=csv_text([child, mother, father]), today=TODAY)

    assert result.ok, result.errors
    assert result.created == 3
    child = Person.objects.get(national_id=CHILD)
    assert (child.father.national_id, child.mother.national_id) == (FATHER, MOTHER)


@pytest.mark.django_db
def test_parents_may_already_be_in_the_registry(person_factory):
    father = person_factory(national_id=FATHER, sex="M", birth_date=date(1970, 1, 1))
    mother = person_factory(national_id=MOTHER, sex="F", birth_date=date(1975, 1, 1))

    result = registry_import(text=csv_text([good_rows()[2]]), today=TODAY)

    assert result.ok, result.errors
    child = Person.objects.get(national_id=CHILD)
    assert (child.father, child.mother) == (father, mother)


@pytest.mark.django_db
def test_an_update_keeps_the_status_and_counts_what_changed(person_factory):
    person_factory(national_id=FATHER, name_en="Old Name", status=Person.Status.DECEASED, birth_date=date(1980, 5, 1))
    person_factory(
        national_id=MOTHER, name_ar="هيا عبدالعزيز المطيري", name_en="Haya Abdulaziz Al-Mutairi", sex="F",
        birth_date=date(1984, 2, 10),
    )

    result = registry_import(text=csv_text(good_rows()), today=TODAY)

    assert (result.created, result.updated, result.unchanged) == (2, 1, 1)
    father = Person.objects.get(national_id=FATHER)
    assert father.name_en == "Saad Mohammed Al-Harbi"
    assert father.status == Person.Status.DECEASED


@pytest.mark.django_db
def test_the_file_is_the_record_a_parent_left_empty_is_cleared():
    registry_import(text=csv_text(good_rows()), today=TODAY)
    rows = good_rows()
    rows[2] = row(CHILD, name_ar="عمر سعد الحربي", name_en="Omar Saad Al-Harbi", birth="2012-07-20", father=FATHER,
                  issued="no")

    result = registry_import(text=csv_text(rows), today=TODAY)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 3)
    assert Person.objects.get(national_id=CHILD).mother is None


@pytest.mark.django_db
def test_a_byte_order_mark_is_read(tmp_path):
    out, _err = run_command(write_csv(tmp_path, csv_text(good_rows()), encoding="utf-8-sig"))

    assert "created: 4" in out
    assert Person.objects.filter(national_id=FATHER).exists()


@pytest.mark.django_db
def test_windows_line_ends_and_a_bom_in_the_text():
    text = "\ufeff" + csv_text(good_rows()).replace("\n", "\r\n")
    assert registry_import(text=text, today=TODAY).created == 4


def test_blank_lines_are_skipped_but_keep_the_line_numbers():
    rows, errors = registry_parse(HEADER + "\n\n" + good_rows()[0] + "\n\n\n")
    assert errors == []
    assert [r.line for r in rows] == [3]


# --- bad rows -----------------------------------------------------------------------------


def _bad(**fields):
    return row(make_id("1", 9100), **fields)


BAD_ROWS = {
    "id_check_digit": row(FATHER[:-1] + str((int(FATHER[-1]) + 1) % 10)),
    "id_prefix": row("3" + FATHER[1:]),
    "id_format": row("12345"),
    "name_ar_missing": _bad(name_ar=""),
    "name_en_missing": _bad(name_en=" "),
    "name_too_long": _bad(name_en="A" * 201),
    "sex": _bad(sex="X"),
    "birth_date_format": _bad(birth="01/05/1980"),
    "birth_date_future": _bad(birth=(TODAY + timedelta(days=1)).isoformat()),
    "nationality": _bad(nationality="SAU"),
    "citizen_nationality": _bad(nationality="EG"),
    "national_id_issued": _bad(issued="true"),
    "citizen_iqama": _bad(iqama="2030-01-01"),
    "iqama_expiry_missing": row(make_id("2", 9101), nationality="EG", issued="no"),
    "iqama_expiry_format": row(make_id("2", 9101), nationality="EG", issued="no", iqama="2030-02-30"),
    "parent_id_invalid": _bad(birth="2010-01-01", father="12345"),
    "parent_unknown": _bad(birth="2010-01-01", father=make_id("1", 9999)),
    "parent_is_self": row(make_id("1", 9100), father=make_id("1", 9100)),
    "father_not_male": _bad(birth="2010-01-01", father=MOTHER),
    "mother_not_female": _bad(birth="2010-01-01", mother=FATHER),
    "parent_not_older": _bad(birth="1970-01-01", father=FATHER),
    "duplicate_id": row(FATHER),
    "columns": _bad() + ",extra",
}


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(BAD_ROWS))
def test_each_bad_row_is_reported_at_its_line_and_nothing_loads(code):
    father, mother, child, resident = good_rows()
    text = csv_text([father, mother, BAD_ROWS[code], child, resident])  # the bad row is line 4

    result = registry_import(text=text, today=TODAY)

    assert codes(result.errors) == [(4, code)]
    assert Person.objects.count() == 0
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)


@pytest.mark.django_db
def test_all_errors_are_collected_in_line_order():
    rows = good_rows()
    rows[1] = row(MOTHER, sex="X", birth="1984-13-01")  # line 3: two errors
    rows.append(row(RESIDENT, nationality="EG", issued="no"))  # line 6: no iqama, and a duplicate

    result = registry_import(text=csv_text(rows), today=TODAY)

    assert codes(result.errors) == [
        (3, "sex"),
        (3, "birth_date_format"),
        (6, "iqama_expiry_missing"),
        (6, "duplicate_id"),
    ]
    assert Person.objects.count() == 0


def test_a_child_of_a_parent_whose_line_is_wrong_is_not_blamed_twice():
    rows = good_rows()
    rows[0] = row(FATHER, birth="not a date")
    _records, errors = registry_check(csv_text(rows), today=TODAY, registry={})
    assert codes(errors) == [(2, "birth_date_format")]


@pytest.mark.django_db
def test_a_parent_in_the_registry_must_have_the_right_sex(person_factory):
    person_factory(national_id=FATHER, sex="F", birth_date=date(1970, 1, 1))
    person_factory(national_id=MOTHER, sex="F", birth_date=date(1975, 1, 1))

    result = registry_import(text=csv_text([good_rows()[2]]), today=TODAY)

    assert codes(result.errors) == [(2, "father_not_male")]


@pytest.mark.django_db
def test_a_parent_whose_registry_children_are_not_in_the_file_keeps_their_sex():
    registry_import(text=csv_text(good_rows()), today=TODAY)

    result = registry_import(text=csv_text([row(FATHER, sex="F")]), today=TODAY)

    assert codes(result.errors) == [(2, "sex_conflicts_children")]
    assert Person.objects.get(national_id=FATHER).sex == "M"


@pytest.mark.parametrize(
    "header",
    [
        "national_id,name_ar,name_en,sex,birth_date,nationality,father_id,mother_id,national_id_issued",
        "id,name_ar,name_en,sex,birth_date,nationality,father_id,mother_id,national_id_issued,iqama_expiry",
        "name_ar,national_id,name_en,sex,birth_date,nationality,father_id,mother_id,national_id_issued,iqama_expiry",
        good_rows()[0],
    ],
)
def test_a_wrong_header_is_an_error_on_line_1(header):
    records, errors = registry_check(csv_text(good_rows(), header=header), today=TODAY, registry={})
    assert codes(errors) == [(1, "header")]
    assert records == []


def test_an_empty_file_is_an_error():
    _records, errors = registry_check("", today=TODAY, registry={})
    assert codes(errors) == [(1, "empty")]


# --- the command's failures -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_prints_each_bad_line_and_fails(tmp_path):
    rows = good_rows()
    rows[0] = row(FATHER, sex="X")
    rows[3] = row(RESIDENT, nationality="EG", issued="no")
    path = write_csv(tmp_path, csv_text(rows))
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_registry", str(path), stdout=StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["line 2", "line 5"]
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_the_command_reports_a_wrong_header(tmp_path):
    path = write_csv(tmp_path, csv_text(good_rows(), header="id;name"))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_registry", str(path), stdout=StringIO(), stderr=err)
    assert err.getvalue().startswith("line 1: ")


@pytest.mark.django_db
def test_the_command_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_bytes(csv_text(good_rows()).encode("cp1256"))
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("import_registry", str(path), stdout=StringIO(), stderr=StringIO())
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_the_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_registry", str(tmp_path / "missing.csv"), stdout=StringIO(), stderr=StringIO())
