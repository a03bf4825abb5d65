from datetime import date

import pytest
from django.utils import translation

from civil_affairs.templatetags.calendars import dual_date, hijri_date


def test_dates_are_shown_in_both_calendars():
    with translation.override("en"):
        shown = dual_date(date(2026, 11, 24))
    assert "2026" in shown and "1448" in shown and "Jumada al-Akhirah" in shown


def test_hijri_month_names_follow_the_language():
    with translation.override("ar"):
        assert "جمادى الآخرة" in hijri_date(date(2026, 11, 24))


def test_empty_and_out_of_range_dates():
    assert dual_date(None) == ""
    assert "1900" in dual_date(date(1900, 1, 1)) and "AH" not in dual_date(date(1900, 1, 1))


@pytest.mark.django_db
def test_person_clean_refuses_what_the_registry_cannot_hold(person_factory):

    from django.core.exceptions import ValidationError

    mother = person_factory(sex="F", birth_date=date(1970, 1, 1))
    father = person_factory(sex="M", birth_date=date(1968, 1, 1))
    child = person_factory(birth_date=date(2000, 1, 1), father=father, mother=mother, nationality="sa")
    child.clean()
    assert child.nationality == "SA"
    child.father, child.mother = mother, father
    with pytest.raises(ValidationError) as error:
        child.clean()
    assert set(error.value.message_dict) == {"father", "mother"}
    elder = person_factory(sex="M", birth_date=date(1960, 1, 1))
    elder.father = child
    with pytest.raises(ValidationError) as error:
        elder.clean()
    assert "father" in error.value.message_dict
    resident = person_factory(prefix="2", iqama_expiry=None)
    with pytest.raises(ValidationError) as error:
        resident.clean()
    assert "iqama_expiry" in error.value.message_dict
