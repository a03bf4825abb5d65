"""Identity changes of the civil registry only through audited services (QUALITY 29).

The admin shows a registry record read-only; `person_update` (the "Change registry record" page)
and `registry_import` write one audit row each; `Person.clean`, the import and `person_update`
share the rules of `civil_affairs.person_rules`.
"""

import hashlib
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from absher.models import AuditEvent
from accounts.models import AccountState
from civil_affairs import person_rules
from civil_affairs.models import Person
from civil_affairs.registry_import import registry_import
from civil_affairs.services_registry import PersonChangeRefused, person_iqama_extend, person_update
from tests.civil_affairs.test_import_registry import CHILD, FATHER, MOTHER, RESIDENT, csv_text, good_rows, row
from tests.conftest import make_id

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 1)


@pytest.fixture(autouse=True)
def on_a_fixed_day():
    """Person.clean reads the date in Riyadh; these tests fix it (noon in Riyadh on TODAY)."""
    with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def supervisor(staff_in):
    return staff_in("Civil affairs supervisors", "Supervisor2026x")


@pytest.fixture
def family(person_factory):
    father = person_factory(sex="M", birth_date=date(1960, 1, 1), name_en="Saad Al-Harbi")
    mother = person_factory(sex="F", birth_date=date(1965, 1, 1), name_en="Haya Al-Mutairi")
    child = person_factory(sex="M", birth_date=date(1990, 5, 1), father=father, mother=mother, name_en="Omar Al-Harbi")
    return father, mother, child


def audit_rows(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- the admin shows the record read-only ------------------------------------------------------

ATTEMPTS = {
    "national_id": make_id("1", 7777),
    "name_ar": "اسم آخر",
    "name_en": "Another Name",
    "sex": "F",
    "birth_date": "1991-02-03",
    "nationality": "EG",
    "father": "",
    "mother": "",
    "national_id_issued": "",
    "iqama_expiry": "2030-01-01",
    "national_id_expiry": "2035-01-01",
    "status": "deceased",
}


def _admin_post(person, name):
    """What the admin's change form would post: every field as it is, but `name` changed."""
    data = {
        "national_id": person.national_id, "name_ar": person.name_ar, "name_en": person.name_en, "sex": person.sex,
        "birth_date": person.birth_date.isoformat(), "nationality": person.nationality,
        "father": person.father_id or "", "mother": person.mother_id or "",
        "national_id_issued": "on" if person.national_id_issued else "",
        "iqama_expiry": "", "national_id_expiry": "", "status": person.status, "_save": "Save",
    }
    data[name] = ATTEMPTS[name]
    return {key: value for key, value in data.items() if value != ""}


@pytest.mark.parametrize("name", sorted(ATTEMPTS))
@pytest.mark.parametrize("who", ["supervisor", "superuser"])
def test_each_registry_field_is_read_only_in_the_admin(client, family, supervisor, user_factory, name, who):
    _father, _mother, child = family
    staff = supervisor if who == "supervisor" else user_factory(is_staff=True, is_superuser=True, state=AccountState.ACTIVE)
    client.force_login(staff)
    url = reverse("admin:civil_affairs_person_change", args=[child.pk])
    before = Person.objects.filter(pk=child.pk).values().get()

    page = client.get(url)
    client.post(url, _admin_post(child, name))

    assert page.status_code == 200
    assert f'name="{name}"'.encode() not in page.content
    assert Person.objects.filter(pk=child.pk).values().get() == before
    assert not audit_rows("registry_record_changed")


def test_no_one_deletes_a_registry_person_in_the_admin(client, family, user_factory):
    _father, _mother, child = family
    client.force_login(user_factory(is_staff=True, is_superuser=True, state=AccountState.ACTIVE))
    response = client.post(reverse("admin:civil_affairs_person_delete", args=[child.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Person.objects.filter(pk=child.pk).exists()


# --- person_update ---------------------------------------------------------------------------


def test_person_update_writes_one_audit_row_with_old_new_actor_and_reason(family, supervisor, person_factory):
    father, _mother, child = family
    other_father = person_factory(sex="M", birth_date=date(1962, 1, 1))

    updated = person_update(
        person=child,
        changes={"name_en": "Omar Saad Al-Harbi", "birth_date": date(1990, 6, 1), "father": other_father, "sex": "M"},
        actor=supervisor, reason="Birth certificate 12/1990 corrects the record", client_address="192.0.2.7",
        today=TODAY,
    )

    child.refresh_from_db()
    assert (child.name_en, child.birth_date, child.father) == ("Omar Saad Al-Harbi", date(1990, 6, 1), other_father)
    assert updated.pk == child.pk
    [event] = audit_rows("registry_record_changed")
    assert event.actor == supervisor
    assert event.subject_label == child.national_id
    assert event.client_address == "192.0.2.7"
    assert event.details["reason"] == "Birth certificate 12/1990 corrects the record"
    assert event.details["changes"] == {
        "name_en": {"old": "Omar Al-Harbi", "new": "Omar Saad Al-Harbi"},
        "birth_date": {"old": "1990-05-01", "new": "1990-06-01"},
        "father": {"old": father.national_id, "new": other_father.national_id},
    }


def test_person_update_links_the_row_to_the_persons_account(user_factory, supervisor):
    citizen = user_factory(state=AccountState.ACTIVE)
    person_update(person=citizen.person, changes={"name_en": "New Name"}, actor=supervisor, reason="typo", today=TODAY)
    assert audit_rows("registry_record_changed")[0].subject == citizen


def test_person_update_with_nothing_different_writes_nothing(family, supervisor):
    _father, _mother, child = family
    stamp = Person.objects.get(pk=child.pk).updated_at

    person_update(
        person=child,
        changes={"name_en": "  Omar Al-Harbi ", "nationality": "sa", "birth_date": date(1990, 5, 1), "father": child.father},
        actor=supervisor, reason="checked", today=TODAY,
    )

    assert not audit_rows("registry_record_changed")
    assert Person.objects.get(pk=child.pk).updated_at == stamp


def test_a_resident_whose_iqama_is_cleared_is_refused(person_factory, supervisor):
    resident = person_factory(prefix="2", iqama_expiry=date(2027, 1, 1))
    with pytest.raises(PersonChangeRefused) as refused:
        person_update(person=resident, changes={"iqama_expiry": None}, actor=supervisor, reason="x", today=TODAY)
    assert refused.value.code == "iqama_expiry_missing"
    assert Person.objects.get(pk=resident.pk).iqama_expiry == date(2027, 1, 1)


def _refusals(family, person_factory):
    father, mother, child = family
    return {
        "father_not_male": (child, {"father": mother}),
        "mother_not_female": (child, {"mother": father}),
        "parent_not_older": (child, {"birth_date": date(1959, 1, 1)}),
        "parent_is_self": (child, {"father": child}),
        "birth_date_future": (child, {"birth_date": TODAY + timedelta(days=1)}),
        "citizen_nationality": (child, {"nationality": "EG"}),
        "citizen_iqama": (child, {"iqama_expiry": date(2030, 1, 1)}),
        "nationality": (child, {"nationality": "S1"}),
        "name_en_missing": (child, {"name_en": "   "}),
        "name_too_long": (child, {"name_ar": "ا" * 201}),
        "sex": (child, {"sex": "X"}),
        "sex_conflicts_children": (father, {"sex": "F"}),
        "born_after_child": (mother, {"birth_date": date(1991, 1, 1)}),
        "invalid_choice": (child, {"status": "missing"}),
        "reason_required": (child, {"name_en": "Someone Else"}),
    }


REFUSAL_CODES = [
    "father_not_male", "mother_not_female", "parent_not_older", "parent_is_self", "birth_date_future",
    "citizen_nationality", "citizen_iqama", "nationality", "name_en_missing", "name_too_long", "sex",
    "sex_conflicts_children", "born_after_child", "invalid_choice", "reason_required",
]


@pytest.mark.parametrize("code", REFUSAL_CODES)
def test_person_update_refuses_a_change_that_breaks_a_rule(family, person_factory, supervisor, code):
    person, changes = _refusals(family, person_factory)[code]
    before = Person.objects.filter(pk=person.pk).values().get()

    with pytest.raises(PersonChangeRefused) as refused:
        person_update(
            person=person, changes=changes, actor=supervisor, reason="" if code == "reason_required" else "fix",
            today=TODAY,
        )

    assert refused.value.code == code
    assert refused.value.message()
    assert Person.objects.filter(pk=person.pk).values().get() == before
    assert not audit_rows("registry_record_changed")


def test_person_update_refuses_a_field_that_is_not_editable(family, supervisor):
    with pytest.raises(ValueError):
        person_update(person=family[2], changes={"national_id": make_id("1", 5)}, actor=supervisor, reason="x")


def test_the_older_registry_services_keep_their_audit_rows(person_factory, supervisor):
    resident = person_factory(prefix="2", iqama_expiry=date(2027, 1, 1))
    person_iqama_extend(person=resident, new_expiry=date(2028, 1, 1), actor=supervisor, reason="renewed")
    [event] = audit_rows("iqama_expiry_changed")
    assert event.details == {"previous": "2027-01-01", "expiry": "2028-01-01", "reason": "renewed"}


# --- the admin's "Change registry record" page -----------------------------------------------------


def _record_form(person, **overrides):
    data = {
        "name_ar": person.name_ar, "name_en": person.name_en, "sex": person.sex,
        "birth_date": person.birth_date.isoformat(), "nationality": person.nationality,
        "father": person.father.national_id if person.father_id else "",
        "mother": person.mother.national_id if person.mother_id else "",
        "national_id_issued": "on" if person.national_id_issued else "",
        "iqama_expiry": person.iqama_expiry.isoformat() if person.iqama_expiry else "",
        "national_id_expiry": "", "status": person.status, "reason": "Record corrected at the office",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


def test_a_supervisor_changes_a_record_through_the_page(client, family, supervisor):
    _father, _mother, child = family
    client.force_login(supervisor)
    url = reverse("admin:civil_affairs_person_record_change", args=[child.pk])

    page = client.get(url)
    response = client.post(url, _record_form(child, name_en="Omar Saad Al-Harbi", status="deceased"))

    assert page.status_code == 200 and b'name="reason"' in page.content
    assert reverse("admin:civil_affairs_person_change", args=[child.pk]) == response.url
    child.refresh_from_db()
    assert (child.name_en, child.status) == ("Omar Saad Al-Harbi", "deceased")
    [event] = audit_rows("registry_record_changed")
    assert event.actor == supervisor and event.details["reason"] == "Record corrected at the office"
    assert event.details["changes"]["status"] == {"old": "living", "new": "deceased"}
    # The record page links to the change page for those who may change it.
    assert url.encode() in client.get(reverse("admin:civil_affairs_person_change", args=[child.pk])).content


def test_the_page_keeps_what_was_typed_and_says_why_it_refuses(client, family, supervisor):
    father, mother, child = family
    client.force_login(supervisor)
    url = reverse("admin:civil_affairs_person_record_change", args=[child.pk])

    no_reason = client.post(url, _record_form(child, name_en="Typed Name", reason=""))
    wrong_parent = client.post(url, _record_form(child, name_en="Typed Name", father=mother.national_id))
    unknown_parent = client.post(url, _record_form(child, father=make_id("1", 8888)))

    assert no_reason.status_code == 200 and b"Typed Name" in no_reason.content
    assert no_reason.context["form"].has_error("reason", "required")
    assert wrong_parent.context["form"].has_error("father", "father_not_male")
    assert unknown_parent.context["form"].has_error("father", "parent_unknown")
    assert Person.objects.get(pk=child.pk).father == father
    assert not audit_rows("registry_record_changed")


def test_only_those_with_the_supervisors_permission_reach_the_change_page(client, family, officer):
    _father, _mother, child = family
    client.force_login(officer)
    url = reverse("admin:civil_affairs_person_record_change", args=[child.pk])

    assert client.get(reverse("admin:civil_affairs_person_change", args=[child.pk])).status_code == 200
    assert client.get(url).status_code == 403
    assert client.post(url, _record_form(child, name_en="Officer Was Here")).status_code == 403
    assert Person.objects.get(pk=child.pk).name_en == "Omar Al-Harbi"
    assert client.get(reverse("admin:civil_affairs_person_record_change", args=["abc\x00def"])).status_code == 404


def test_adding_a_person_in_the_admin_goes_through_the_service(client, user_factory):
    superuser = user_factory(is_staff=True, is_superuser=True, state=AccountState.ACTIVE)
    client.force_login(superuser)
    url = reverse("admin:civil_affairs_person_add")
    national_id = make_id("2", 4242)
    data = {
        "national_id": national_id, "name_ar": "أحمد", "name_en": "Ahmed", "sex": "M", "birth_date": "1988-11-30",
        "nationality": "EG", "status": "living", "reason": "New resident's file",
    }

    refused = client.post(url, data)  # a resident without an iqama expiry
    added = client.post(url, {**data, "iqama_expiry": "2027-01-15"})

    assert refused.status_code == 200 and refused.context["form"].has_error("iqama_expiry", "iqama_expiry_missing")
    assert added.status_code == 302
    person = Person.objects.get(national_id=national_id)
    [event] = audit_rows("registry_record_created")
    assert event.actor == superuser and event.details["reason"] == "New resident's file"
    assert event.details["values"]["iqama_expiry"] == "2027-01-15"
    assert person.iqama_expiry == date(2027, 1, 15)


# --- the import's audit row ------------------------------------------------------------------------


def test_an_import_writes_one_audit_row_with_digest_counts_and_people():
    text = csv_text(good_rows())

    first = registry_import(text=text, today=TODAY)
    second = registry_import(text=text, today=TODAY)

    digest = hashlib.sha256(text.encode()).hexdigest()
    one, two = audit_rows("registry_imported")
    assert first.sha256 == digest
    assert one.details["sha256"] == two.details["sha256"] == digest
    assert (one.details["created"], one.details["updated"], one.details["unchanged"]) == (4, 0, 0)
    assert one.details["created_ids"] == sorted([FATHER, MOTHER, CHILD, RESIDENT])
    assert (second.created, second.updated, second.unchanged) == (0, 0, 4)
    assert (two.details["created"], two.details["updated"], two.details["unchanged"]) == (0, 0, 4)
    assert two.details["created_ids"] == two.details["updated_ids"] == []


def test_an_import_that_changes_people_names_them():
    registry_import(text=csv_text(good_rows()), today=TODAY)
    rows = good_rows()
    rows[0] = row(FATHER, name_en="Saad M. Al-Harbi")

    registry_import(text=csv_text(rows), today=TODAY)

    event = audit_rows("registry_imported")[-1]
    assert (event.details["created"], event.details["updated"], event.details["unchanged"]) == (0, 1, 3)
    assert event.details["updated_ids"] == [FATHER]


def test_the_command_records_the_digest_of_the_files_bytes(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_text(csv_text(good_rows()), encoding="utf-8-sig")
    out = StringIO()

    call_command("import_registry", str(path), stdout=out, stderr=StringIO())

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    [event] = audit_rows("registry_imported")
    assert event.details["sha256"] == digest and event.details["file"] == "registry.csv"
    assert f"sha256: {digest}" in out.getvalue()


def test_a_refused_import_is_recorded_and_loads_nothing():
    rows = good_rows()
    rows[0] = row(FATHER, sex="X")

    result = registry_import(text=csv_text(rows), today=TODAY)

    assert [error.code for error in result.errors] == ["sex"]
    assert not audit_rows("registry_imported")
    [event] = audit_rows("registry_import_refused")
    assert event.details["errors"] == 1 and event.details["lines"] == [2]
    assert Person.objects.count() == 0


# --- one validation for Person.clean and the import ----------------------------------------------------


def _clean_codes(person: Person) -> set[str]:
    try:
        person.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return {item.code for errors in error.error_dict.values() for item in errors}
    return set()


def _import_codes(line: str) -> set[str]:
    return {error.code for error in registry_import(text=csv_text([line]), today=TODAY).errors}


SHARED = {
    # code: (the model's values, the file's line), the same facts
    "id_check_digit": ({"national_id": FATHER[:-1] + str((int(FATHER[-1]) + 1) % 10)}, {"national_id": FATHER[:-1] + str((int(FATHER[-1]) + 1) % 10)}),
    "id_prefix": ({"national_id": "3" + FATHER[1:]}, {"national_id": "3" + FATHER[1:]}),
    "citizen_nationality": ({"nationality": "EG"}, {"nationality": "EG"}),
    "nationality": ({"nationality": "S1"}, {"nationality": "S1"}),
    "citizen_iqama": ({"iqama_expiry": date(2030, 1, 1)}, {"iqama": "2030-01-01"}),
    "iqama_expiry_missing": ({"national_id": RESIDENT, "nationality": "EG"}, {"national_id": RESIDENT, "nationality": "EG"}),
    "birth_date_future": ({"birth_date": TODAY + timedelta(days=1)}, {"birth": (TODAY + timedelta(days=1)).isoformat()}),
    "name_en_missing": ({"name_en": " "}, {"name_en": " "}),
}


@pytest.mark.parametrize("code", sorted(SHARED))
def test_a_broken_rule_gives_the_same_code_from_person_clean_and_from_the_import(code):
    model_values, line_values = SHARED[code]
    values = {
        "national_id": FATHER, "name_ar": "سعد", "name_en": "Saad", "sex": "M", "birth_date": date(1980, 5, 1),
        "nationality": "SA", "national_id_issued": True, "iqama_expiry": None, **model_values,
    }
    line = row(line_values.pop("national_id", FATHER), **line_values)

    assert _clean_codes(Person(**values)) == {code}
    assert _import_codes(line) == {code}


@pytest.mark.parametrize(
    "code, role, parent_values",
    [
        ("father_not_male", "father", {"sex": "F"}),
        ("mother_not_female", "mother", {"sex": "M"}),
        ("parent_not_older", "father", {"birth_date": date(2000, 1, 1)}),
    ],
)
def test_parents_give_the_same_code_from_person_clean_and_from_the_import(person_factory, code, role, parent_values):
    sex = "F" if role == "mother" else "M"
    parent = person_factory(**{"sex": sex, "birth_date": date(1950, 1, 1), **parent_values})
    child = Person(
        national_id=CHILD, name_ar="عمر", name_en="Omar", sex="M", birth_date=date(1990, 1, 1), nationality="SA",
        **{role: parent},
    )
    line = row(CHILD, birth="1990-01-01", **{role: parent.national_id})

    assert _clean_codes(child) == {code}
    assert _import_codes(line) == {code}


@pytest.mark.parametrize(
    "code, line_values, model_values",
    [
        ("sex_conflicts_children", {"sex": "F", "birth": "1960-01-01"}, {"sex": "F"}),
        ("born_after_child", {"birth": "1995-01-01"}, {"birth_date": date(1995, 1, 1)}),
    ],
)
def test_a_parents_children_give_the_same_code_from_person_clean_and_from_the_import(
    family, code, line_values, model_values
):
    father, _mother, _child = family
    line = row(father.national_id, name_ar=father.name_ar, name_en=father.name_en, **line_values)
    for name, value in model_values.items():
        setattr(father, name, value)

    assert _clean_codes(father) == {code}
    assert _import_codes(line) == {code}


def test_the_rules_live_in_one_module_that_both_call(monkeypatch, family):
    """A rule added to person_rules is seen by Person.clean, the import and person_update alike."""
    _father, _mother, child = family
    original = person_rules.own_violations

    def stricter(person, *, today):
        found = original(person, today=today)
        if person.name_en.startswith("Zz"):
            found.append(person_rules.Violation("name_en", "name_test_rule", text="test rule"))
        return found

    monkeypatch.setattr(person_rules, "own_violations", stricter)
    child.name_en = "Zz Test"

    assert _clean_codes(child) == {"name_test_rule"}
    assert _import_codes(row(FATHER, name_en="Zz Test")) == {"name_test_rule"}
    with pytest.raises(PersonChangeRefused) as refused:
        person_update(person=family[2], changes={"name_en": "Zz Test"}, actor=None, reason="x", today=TODAY)
    assert refused.value.code == "name_test_rule"
