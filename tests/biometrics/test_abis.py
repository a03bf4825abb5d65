"""The reference ABIS (biometrics.abis.reference): a gallery in the database, binned by pattern
class, searched with the real matcher (NBIS through libfprint); and activation_held."""

import numpy as np
import pytest

from biometrics import patterns, synthetic
from biometrics.abis import activation_held, get_abis
from biometrics.abis import reference as reference_module
from biometrics.abis.base import Candidate
from biometrics.abis.reference import ReferenceAbis
from biometrics.fingerprint import TemplateError
from biometrics.matching import PoorImage, get_matcher
from biometrics.models import AbisEntry, DuplicateCase
from civil_affairs.services_registry import fingerprint_decrypt

pytestmark = pytest.mark.django_db

ID_A, ID_B, ID_C = "1000000001", "1000000002", "1000000003"


@pytest.fixture(scope="module")
def templates():
    matcher = get_matcher()
    return {national_id: matcher.enrol(synthetic.enrolment_images(national_id)) for national_id in (ID_A, ID_B, ID_C)}


def touch(national_id, seed=1):
    return synthetic.impression(national_id, "right_index", np.random.default_rng(seed))


def class_of(national_id):
    return synthetic.pattern_class(national_id, "right_index")


def test_the_setting_chooses_the_engine(settings):
    assert isinstance(get_abis(), ReferenceAbis)
    settings.FINGERPRINT_ABIS = "biometrics.abis.base.Abis"
    assert type(get_abis()).__name__ == "Abis"


def test_a_finger_in_the_gallery_is_found_and_others_are_not(templates):
    abis = ReferenceAbis()
    for national_id in (ID_A, ID_B, ID_C):
        abis.insert(national_id, templates[national_id], None, class_of(national_id))
    found = abis.identify(touch(ID_A), exclude="1999999999")
    assert [c.subject for c in found] == [ID_A] and found[0].score >= get_matcher().threshold
    assert abis.identify(touch(ID_A), exclude=ID_A) == []  # the enrolling ID never finds itself
    assert abis.delete(ID_A) is True and abis.delete(ID_A) is False
    assert abis.identify(touch(ID_A), exclude="1999999999") == []


def test_the_gallery_keeps_templates_encrypted_and_one_row_per_id(templates):
    abis = ReferenceAbis()
    abis.insert(ID_A, templates[ID_A], None, class_of(ID_A))
    abis.insert(ID_A, templates[ID_B], None, "not a class")  # replaced, and an unknown class is "unknown"
    entry = AbisEntry.objects.get(subject=ID_A)
    assert bytes(entry.template) != templates[ID_B] and fingerprint_decrypt(bytes(entry.template)) == templates[ID_B]
    assert entry.pattern == patterns.UNKNOWN and AbisEntry.objects.count() == 1
    with pytest.raises(TemplateError):
        abis.insert(ID_C, b"not a template", None, patterns.WHORL)
    assert not AbisEntry.objects.filter(subject=ID_C).exists()


def test_only_the_bins_the_probes_class_searches_are_compared(templates):
    probe = touch(ID_A)
    found_class = patterns.classify(probe)
    elsewhere = next(c for c in patterns.CLASSES if c not in patterns.searched_with(found_class))
    abis = ReferenceAbis()
    abis.insert(ID_A, templates[ID_A], None, elsewhere)  # filed in a bin this probe does not search
    assert abis.identify(probe, exclude="1999999999") == []
    abis.insert(ID_A, templates[ID_A], None, patterns.UNKNOWN)  # "unknown" is searched by every probe
    assert [c.subject for c in abis.identify(probe, exclude="1999999999")] == [ID_A]


def test_the_gallery_is_read_in_chunks(templates, monkeypatch):
    monkeypatch.setattr(reference_module, "CHUNK", 2)
    abis = ReferenceAbis()
    for national_id in (ID_B, ID_C):
        abis.insert(national_id, templates[national_id], None, patterns.UNKNOWN)
    for n in range(3):  # other fingers' references (B's and C's templates under other IDs)
        abis.insert(f"10000001{n:02d}", templates[(ID_B, ID_C)[n % 2]], None, patterns.UNKNOWN)
    abis.insert(ID_A, templates[ID_A], None, patterns.UNKNOWN)  # the last chunk
    chunks = list(abis.gallery_chunks((patterns.UNKNOWN,), exclude="1999999999"))
    assert [len(chunk) for chunk in chunks] == [2, 2, 2]
    assert [c.subject for c in abis.identify(touch(ID_A), exclude="1999999999")] == [ID_A]


def test_several_probes_give_each_subject_once_with_its_best_score(templates):
    abis = ReferenceAbis()
    abis.insert(ID_A, templates[ID_A], None, patterns.UNKNOWN)
    found = abis.identify_all([touch(ID_A, seed) for seed in (1, 2, 3)], exclude="1999999999")
    assert len(found) == 1 and isinstance(found[0], Candidate) and found[0].subject == ID_A


def test_a_poor_probe_is_refused_even_with_an_empty_gallery():
    with pytest.raises(PoorImage):
        ReferenceAbis().identify(synthetic.poor_image(np.random.default_rng(0)), exclude=ID_A)


def test_activation_is_held_by_an_open_or_same_person_case_on_either_side(today):
    from django.utils import timezone

    assert not activation_held(ID_A)
    case = DuplicateCase.objects.create(national_id=ID_A, other_national_id=ID_B, score=90, opened_at=timezone.now())
    assert activation_held(ID_A) and activation_held(ID_B) and not activation_held(ID_C)
    case.status = DuplicateCase.Status.SAME_PERSON
    case.save()
    assert activation_held(ID_A) and activation_held(ID_B)
    case.status = DuplicateCase.Status.DIFFERENT_PEOPLE
    case.save()
    assert not activation_held(ID_A) and not activation_held(ID_B)


def test_a_pair_has_one_case_whichever_enrolled_last():
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    DuplicateCase.objects.create(national_id=ID_A, other_national_id=ID_B, score=90, opened_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        DuplicateCase.objects.create(national_id=ID_B, other_national_id=ID_A, score=80, opened_at=timezone.now())
