"""Enrolment of references and its de-duplication (biometrics.enrolment, biometrics.tasks), the
adjudication in the admin, and the registry's import command; with the real engine (libfprint)."""

import io

import numpy as np
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from absher.models import AuditEvent
from accounts.models import AccountState
from biometrics import enrolment, images, patterns, synthetic
from biometrics.abis import activation_held
from biometrics.enrolment import DecisionRefused, dedup_request_run, duplicate_case_decide, reference_enrol
from biometrics.fingerprint import TemplateError
from biometrics.matching import MatcherUnavailable, PoorImage, get_matcher
from biometrics.models import AbisEntry, DedupRequest, DedupStatus, DuplicateCase
from civil_affairs.services_registry import fingerprint_decrypt, person_fingerprint_reference

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrol(django_capture_on_commit_callbacks):
    """`enrol(person, images=..., template=...)`: reference_enrol, its de-duplication run at the commit (eager Celery)."""

    def run(person, **given):
        with django_capture_on_commit_callbacks(execute=True):
            person = reference_enrol(person=person, actor=None, reason="test", **given)
        return person, DedupRequest.objects.filter(national_id=person.national_id).latest("id")

    return run


def fingers(national_id):
    return synthetic.enrolment_images(national_id)


def test_one_finger_under_two_id_numbers_opens_a_case_and_holds_both(enrol, person_factory):
    a, b = person_factory(), person_factory()
    _, first = enrol(a, images=fingers(a.national_id))
    assert first.status == DedupStatus.DONE and first.hits == 0 and first.images is None
    _, second = enrol(b, images=fingers(a.national_id))  # A's finger again, under B's ID number
    assert second.status == DedupStatus.DONE and second.hits == 1 and second.finished_at is not None
    case = DuplicateCase.objects.get()
    assert (case.national_id, case.other_national_id, case.status) == (b.national_id, a.national_id, DuplicateCase.Status.OPEN)
    assert case.score >= get_matcher().threshold
    assert activation_held(a.national_id) and activation_held(b.national_id)
    audit = AuditEvent.objects.get(action="fingerprint_duplicate_found")
    assert audit.subject_label == b.national_id and audit.details["other_national_id"] == a.national_id
    assert set(AbisEntry.objects.values_list("subject", flat=True)) == {a.national_id, b.national_id}


def test_different_fingers_open_no_case(enrol, person_factory):
    a, b = person_factory(), person_factory()
    enrol(a, images=fingers(a.national_id))
    _, request = enrol(b, images=fingers(b.national_id))
    assert request.status == DedupStatus.DONE and request.hits == 0
    assert not DuplicateCase.objects.exists()
    assert not activation_held(a.national_id) and not activation_held(b.national_id)
    entry = AbisEntry.objects.get(subject=b.national_id)
    assert entry.pattern == patterns.classify_many(fingers(b.national_id))


def test_re_enrolment_replaces_the_gallery_entry_and_never_finds_itself(enrol, person_factory):
    a, b = person_factory(), person_factory()
    enrol(a, images=fingers(a.national_id))
    old = AbisEntry.objects.get(subject=a.national_id)
    person, request = enrol(a, images=fingers(b.national_id))  # a new reference, another finger
    assert request.status == DedupStatus.DONE and request.hits == 0
    entry = AbisEntry.objects.get(subject=a.national_id)
    assert entry.pk != old.pk and AbisEntry.objects.count() == 1
    assert fingerprint_decrypt(bytes(entry.template)) == person_fingerprint_reference(national_id=a.national_id)
    assert not DuplicateCase.objects.exists()


def test_a_template_only_enrolment_is_recorded_not_searched_and_joins_the_gallery(enrol, person_factory):
    a, b = person_factory(), person_factory()
    template = get_matcher().enrol(fingers(a.national_id))
    person, request = enrol(a, template=template)
    assert person_fingerprint_reference(national_id=a.national_id) == template
    assert request.status == DedupStatus.TEMPLATE_ONLY and request.images is None
    assert AbisEntry.objects.get(subject=a.national_id).pattern == patterns.UNKNOWN
    # A later enrolment of the same finger with images is compared with it.
    _, later = enrol(b, images=fingers(a.national_id))
    assert later.hits == 1 and DuplicateCase.objects.filter(other_national_id=a.national_id).exists()


def test_enrolment_refuses_what_it_cannot_store(person_factory):
    person = person_factory()
    with pytest.raises(TemplateError):
        reference_enrol(person=person, template=b"not a template", actor=None)
    with pytest.raises(PoorImage):
        reference_enrol(person=person, images=[synthetic.poor_image(np.random.default_rng(n)) for n in range(3)], actor=None)
    with pytest.raises(ValueError):
        reference_enrol(person=person, actor=None)
    assert not DedupRequest.objects.exists() and person_fingerprint_reference(national_id=person.national_id) is None


def test_the_images_wait_encrypted_and_a_rollback_queues_nothing(person_factory, django_capture_on_commit_callbacks):
    person = person_factory()
    shots = fingers(person.national_id)
    with django_capture_on_commit_callbacks() as callbacks:
        reference_enrol(person=person, images=shots, actor=None, reason="test")
    request = DedupRequest.objects.get()
    assert request.status == DedupStatus.QUEUED and len(callbacks) == 1
    sealed = bytes(request.images)
    assert shots[0].pixels[:64] not in sealed and images.MAGIC not in sealed
    assert [i.pixels for i in enrolment.images_unpack(sealed)] == [i.pixels for i in shots]


def test_a_retried_search_does_nothing_twice(enrol, person_factory, django_capture_on_commit_callbacks):
    a, b = person_factory(), person_factory()
    enrol(a, images=fingers(a.national_id))
    with django_capture_on_commit_callbacks():  # queued, not run
        reference_enrol(person=b, images=fingers(a.national_id), actor=None)
    request = DedupRequest.objects.get(national_id=b.national_id)
    assert dedup_request_run(request_id=request.pk).hits == 1
    assert dedup_request_run(request_id=request.pk).status == DedupStatus.DONE
    assert DuplicateCase.objects.count() == 1 and AuditEvent.objects.filter(action="fingerprint_duplicate_found").count() == 1
    # B enrols again: the pair keeps its one case.
    enrol(b, images=fingers(a.national_id))
    assert DuplicateCase.objects.count() == 1


def test_an_engine_that_stays_unavailable_fails_the_request_visibly(enrol, person_factory, monkeypatch):
    from biometrics.abis.reference import ReferenceAbis

    def unavailable(self, image, *, exclude):
        raise MatcherUnavailable()

    monkeypatch.setattr(ReferenceAbis, "identify", unavailable)
    a = person_factory()
    _, request = enrol(a, images=fingers(a.national_id))
    assert request.status == DedupStatus.FAILED and request.images is None and "unavailable" in request.failure
    assert AbisEntry.objects.filter(subject=a.national_id).exists()  # later enrolments are compared with it
    assert AuditEvent.objects.filter(action="fingerprint_dedup_failed", subject_label=a.national_id).exists()


@pytest.fixture
def case(enrol, person_factory):
    a, b = person_factory(), person_factory()
    enrol(a, images=fingers(a.national_id))
    enrol(b, images=fingers(a.national_id))
    return DuplicateCase.objects.get()


@pytest.fixture
def adjudicator(user_factory):
    user = user_factory(state=AccountState.ACTIVE, is_staff=True, mobile="+966500006666")
    user.groups.add(Group.objects.get(name="Fingerprint adjudicators"))
    return user


def test_staff_release_a_case_in_the_admin_with_a_note_and_it_is_audited(client, case, adjudicator):
    client.force_login(adjudicator)
    url = reverse("admin:biometrics_duplicatecase_changelist")
    page = client.get(url).content.decode()
    assert case.national_id in page and case.other_national_id in page
    # Without a note: the form again, nothing decided.
    response = client.post(url, {"action": "release", "_selected_action": [case.pk], "apply": "1", "note": ""})
    assert response.status_code == 200 and "note" in response.content.decode()
    case.refresh_from_db()
    assert case.status == DuplicateCase.Status.OPEN
    client.post(url, {"action": "release", "_selected_action": [case.pk], "apply": "1",
                      "note": "Photographs and birth records differ: twins."})
    case.refresh_from_db()
    assert case.status == DuplicateCase.Status.DIFFERENT_PEOPLE and case.decided_by == adjudicator
    assert not activation_held(case.national_id) and not activation_held(case.other_national_id)
    audit = AuditEvent.objects.get(action="fingerprint_duplicate_decided")
    assert audit.actor == adjudicator and audit.details["decision"] == "different_people"
    assert audit.details["reason"].startswith("Photographs")


def test_same_person_keeps_the_hold_and_a_decided_case_is_not_decided_again(case, adjudicator):
    duplicate_case_decide(case=case, decision=DuplicateCase.Status.SAME_PERSON, actor=adjudicator, note="One man, two IDs.")
    assert activation_held(case.national_id) and activation_held(case.other_national_id)
    with pytest.raises(DecisionRefused) as refused:
        duplicate_case_decide(case=case, decision=DuplicateCase.Status.DIFFERENT_PEOPLE, actor=adjudicator, note="x")
    assert refused.value.code == "not_open"
    with pytest.raises(DecisionRefused) as refused:
        duplicate_case_decide(case=case, decision=DuplicateCase.Status.SAME_PERSON, actor=adjudicator, note=" ")
    assert refused.value.code == "note_required"


def test_the_de_duplication_pages_open_for_staff_and_never_for_citizens(client, case, adjudicator, user_factory):
    client.force_login(adjudicator)
    assert client.get(reverse("admin:biometrics_deduprequest_changelist")).status_code == 200
    assert client.get(reverse("admin:biometrics_duplicatecase_change", args=[case.pk])).status_code == 200
    client.force_login(user_factory(state=AccountState.ACTIVE))
    assert client.get(reverse("admin:biometrics_duplicatecase_changelist")).status_code in (302, 404)


def png(path, image):
    from PIL import Image

    Image.frombytes("L", (image.width, image.height), image.pixels).save(path, format="PNG", dpi=(500, 500))


def test_import_fingerprints_reads_images_and_templates_and_refuses_bad_files(tmp_path, person_factory,
                                                                             django_capture_on_commit_callbacks):
    a, b, c = person_factory(), person_factory(), person_factory()
    for n, image in enumerate(fingers(a.national_id)[:4], start=1):
        png(tmp_path / f"{a.national_id}_{n}.png", image)
    (tmp_path / f"{a.national_id}_5.png").write_bytes(b"<html>not a png</html>")
    (tmp_path / f"{b.national_id}.nbt").write_bytes(get_matcher().enrol(fingers(b.national_id)))
    (tmp_path / f"{c.national_id}.nbt").write_bytes(b"NBT1{broken")
    png(tmp_path / "1999999990_1.png", fingers(a.national_id)[0])  # no such person
    (tmp_path / "notes.txt").write_text("hello")
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_fingerprints", str(tmp_path), stdout=out)
    text = out.getvalue()
    assert f"refused {a.national_id}_5.png" in text
    assert f"refused {c.national_id}.nbt" in text
    assert "refused 1999999990: no such ID number" in text
    assert "refused notes.txt" in text
    assert "references imported: 2 (1 from images, 1 from templates" in text and "refused: 4" in text
    assert person_fingerprint_reference(national_id=a.national_id) is not None
    assert person_fingerprint_reference(national_id=c.national_id) is None
    statuses = dict(DedupRequest.objects.values_list("national_id", "status"))
    assert statuses == {a.national_id: DedupStatus.DONE, b.national_id: DedupStatus.TEMPLATE_ONLY}
