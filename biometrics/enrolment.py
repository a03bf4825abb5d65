"""Registry enrolment of reference fingerprints, and the de-duplication it starts (issue 13).

`reference_enrol` stores a person's reference (from enrolment images, or a template another
system made) and queues a search of the gallery for the same finger under another ID number:
one transaction writes the reference (civil_affairs.services_registry, encrypted, audited) and
a DedupRequest holding the images (encrypted); its commit hands the request to the Celery task
biometrics.tasks.deduplicate, which calls `dedup_request_run`.

The search (`dedup_request_run`) probes the ABIS (FINGERPRINT_ABIS) with the PROBES best
enrolment images, then puts the reference in the gallery (replacing an earlier one), opens a
DuplicateCase per hit and deletes the images. It is idempotent: a request that is not queued
any more is left alone, and a pair of ID numbers has at most one case. Staff adjudicate the
cases (`duplicate_case_decide`); while one is open, or decided "same person", the kiosk holds
the activation of both ID numbers (biometrics.abis.activation_held).

A reference given as a template only is not searched by the reference engine: libfprint
compares an image with templates, never two templates. Its request ends as TEMPLATE_ONLY and
the template goes into the gallery, so every later enrolment is compared with it. A vendor
ABIS that searches templates would search it.
"""

import logging
import struct
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from absher.audit import audit_record
from civil_affairs.models import Person
from civil_affairs.services_registry import (
    fingerprint_decrypt,
    fingerprint_encrypt,
    person_fingerprint_reference,
    person_fingerprint_reference_set,
)

from . import images as image_codec
from . import patterns
from .fingerprint import MAX_PRINTS, decode
from .images import FingerImage
from .matching import MatcherUnavailable, PoorImage, get_matcher
from .models import DedupRequest, DedupStatus, DuplicateCase

logger = logging.getLogger(__name__)

#: How many enrolment images (the best by the reader's quality) probe the gallery: each costs a
#: search of the bins its class is compared with, and any one of them finds the mate.
PROBES = 3
_LENGTH = struct.Struct(">I")


class DecisionRefused(Exception):
    """Staff cannot decide this case so (it is decided already, or the note is missing)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    def message(self) -> str:
        return str(DECISION_MESSAGES.get(self.code, self.code))


DECISION_MESSAGES = {
    "note_required": _("Write a note for the decision: the audit trail keeps it."),
    "not_open": _("This case was decided already."),
    "unknown_decision": _("Not a decision staff can take."),
}


# --- images at rest ---------------------------------------------------------------------------


def images_pack(images: list[FingerImage]) -> bytes:
    """Several images as one sealed blob (length-prefixed biometrics.images.encode, then encrypted)."""
    body = b"".join(_LENGTH.pack(len(data)) + data for data in (image_codec.encode(image) for image in images))
    return fingerprint_encrypt(body)


def images_unpack(sealed: bytes | None) -> list[FingerImage]:
    """The images `images_pack` sealed ([] when there are none or the key cannot open them)."""
    if not sealed:
        return []
    body = fingerprint_decrypt(bytes(sealed))
    if body is None:
        return []
    found, at = [], 0
    while at + _LENGTH.size <= len(body):
        (length,) = _LENGTH.unpack_from(body, at)
        at += _LENGTH.size
        found.append(image_codec.decode(body[at : at + length]))
        at += length
    return found


# --- enrolment --------------------------------------------------------------------------------


def dedup_enqueue(request_id: int) -> None:
    """Hand a request to the workers (after the commit that wrote it). A broker that cannot be
    reached fails no enrolment: the request stays queued and `dedup_requests_resume` sends it again."""
    from kombu.exceptions import OperationalError

    from .tasks import deduplicate

    try:
        deduplicate.delay(request_id)
    except (OperationalError, OSError) as exc:
        logger.warning("de-duplication request %s not enqueued (%s)", request_id, type(exc).__name__)


def reference_enrol(
    *, person: Person, images: list[FingerImage] | None = None, template: bytes | None = None, actor, reason: str = ""
) -> Person:
    """Set the person's reference fingerprint and queue its de-duplication; the person, refreshed.

    From `images` (1..10 of one finger, the registry's captures): the matcher's enrolment
    template (PoorImage when too few have ridge detail, MatcherUnavailable without the engine).
    From `template` (biometrics.fingerprint's format; TemplateError when it is not one): stored
    as given, and its request is TEMPLATE_ONLY.
    """
    if (images is None) == (template is None):
        raise ValueError("give either images or a template")
    if images is not None:
        images = list(images)[:MAX_PRINTS]
        if not images:
            raise ValueError("no images")
        template = get_matcher().enrol(images)
    else:
        template = bytes(template)
        decode(template)
    with transaction.atomic():
        person = person_fingerprint_reference_set(person=person, template=template, actor=actor, reason=reason)
        request = DedupRequest.objects.create(
            national_id=person.national_id,
            images=images_pack(images) if images else None,
            status=DedupStatus.QUEUED,
            created_at=timezone.now(),
        )
        transaction.on_commit(partial(dedup_enqueue, request.pk))
    return person


# --- the search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DedupOutcome:
    status: str
    hits: int = 0
    retry: bool = False


def _probes(images: list[FingerImage]) -> list[FingerImage]:
    ranked = sorted(images, key=lambda image: -(image.quality if image.quality is not None else 50))
    return ranked[:PROBES]


def dedup_request_run(*, request_id: int, abis=None) -> DedupOutcome:
    """Search one queued request's finger in the gallery, insert it, open a case per hit.

    `retry=True` when the engine could not answer (nothing was written; the task tries again).
    """
    from .abis import get_abis

    request = DedupRequest.objects.filter(pk=request_id).first()
    if request is None:
        return DedupOutcome("gone")
    if request.status != DedupStatus.QUEUED:
        return DedupOutcome(request.status, request.hits)
    template = person_fingerprint_reference(national_id=request.national_id)
    if template is None:
        return _finish(request_id, status=DedupStatus.FAILED, failure="no reference in the registry")
    abis = abis or get_abis()
    images = images_unpack(request.images)
    candidates = []
    if images:
        pattern = patterns.classify_many(images)
        usable = 0
        try:
            for probe in _probes(images):
                try:
                    candidates.append(abis.identify_all([probe], exclude=request.national_id))
                    usable += 1
                except PoorImage:
                    continue
        except MatcherUnavailable:
            return DedupOutcome(DedupStatus.QUEUED, retry=True)
        if not usable:
            return _finish(request_id, status=DedupStatus.FAILED, failure="no probe image had ridge detail",
                           abis=abis, template=template, image=images[0], pattern=pattern)
        best: dict[str, float] = {}
        for found in candidates:
            for candidate in found:
                best[candidate.subject] = max(best.get(candidate.subject, 0.0), candidate.score)
        return _finish(request_id, status=DedupStatus.DONE, abis=abis, template=template, image=images[0],
                       pattern=pattern, hits=best)
    return _finish(request_id, status=DedupStatus.TEMPLATE_ONLY, abis=abis, template=template, image=None,
                   pattern=patterns.UNKNOWN)


def _finish(request_id: int, *, status: str, failure: str = "", abis=None, template: bytes | None = None,
            image: FingerImage | None = None, pattern: str = patterns.UNKNOWN, hits: dict | None = None) -> DedupOutcome:
    """End a request in one transaction: the gallery entry replaced, the cases, the images deleted."""
    hits = hits or {}
    with transaction.atomic():
        request = DedupRequest.objects.select_for_update().get(pk=request_id)
        if request.status != DedupStatus.QUEUED:  # another run ended it first
            return DedupOutcome(request.status, request.hits)
        if abis is not None and template is not None:
            abis.delete(request.national_id)
            abis.insert(request.national_id, template, image, pattern)
        opened = 0
        for other, score in sorted(hits.items(), key=lambda pair: -pair[1]):
            opened += _case_open(national_id=request.national_id, other=other, score=score)
        request.status = status
        request.hits = len(hits)
        request.failure = failure[:200]
        request.images = None
        request.finished_at = timezone.now()
        request.save(update_fields=["status", "hits", "failure", "images", "finished_at"])
        if status == DedupStatus.FAILED:
            audit_record(action="fingerprint_dedup_failed", subject_label=request.national_id, failure=request.failure)
    return DedupOutcome(status, len(hits))


def _case_open(*, national_id: str, other: str, score: float) -> int:
    """Open a case for the pair unless it has one (in either order); 1 when opened."""
    pair = Q(national_id=national_id, other_national_id=other) | Q(national_id=other, other_national_id=national_id)
    if DuplicateCase.objects.filter(pair).exists():
        return 0
    try:
        with transaction.atomic():
            case = DuplicateCase.objects.create(national_id=national_id, other_national_id=other, score=score,
                                                status=DuplicateCase.Status.OPEN, opened_at=timezone.now())
            audit_record(action="fingerprint_duplicate_found", subject_label=national_id, other_national_id=other,
                         score=score, case=case.pk)
    except IntegrityError:  # the other ID's search opened it at the same moment
        return 0
    return 1


def dedup_request_fail(*, request_id: int, failure: str, abis=None) -> DedupOutcome:
    """The engine stayed unavailable through every retry: the request fails, visible to staff.

    The reference still goes into the gallery when the ABIS takes it, so later enrolments are
    compared with it; only this search was not made.
    """
    from .abis import get_abis

    request = DedupRequest.objects.filter(pk=request_id).first()
    if request is None or request.status != DedupStatus.QUEUED:
        return DedupOutcome(request.status if request else "gone")
    template = person_fingerprint_reference(national_id=request.national_id)
    images = images_unpack(request.images)
    try:
        abis = abis or get_abis()
    except MatcherUnavailable:
        abis = None
    try:
        return _finish(request_id, status=DedupStatus.FAILED, failure=failure, abis=abis, template=template,
                       image=images[0] if images else None,
                       pattern=patterns.classify_many(images) if images else patterns.UNKNOWN)
    except MatcherUnavailable:
        return _finish(request_id, status=DedupStatus.FAILED, failure=failure)


def dedup_requests_resume(*, older_than_seconds: int = 600) -> int:
    """Queue again the requests still queued after a while (a broker that was down, a lost worker)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(DedupRequest.objects.filter(status=DedupStatus.QUEUED, created_at__lt=cutoff).values_list("pk", flat=True)[:500])
    for request_id in ids:
        dedup_enqueue(request_id)
    return len(ids)


# --- adjudication -----------------------------------------------------------------------------

DECISIONS = (DuplicateCase.Status.DIFFERENT_PEOPLE, DuplicateCase.Status.SAME_PERSON)


def duplicate_case_decide(*, case: DuplicateCase, decision: str, actor, note: str, client_address=None) -> DuplicateCase:
    """Staff's decision on an open case, with its note, audited.

    DIFFERENT_PEOPLE releases both ID numbers' activations (unless another case holds one);
    SAME_PERSON keeps them held and refers the two records to the registry.
    """
    if decision not in DECISIONS:
        raise DecisionRefused("unknown_decision")
    note = (note or "").strip()
    if not note:
        raise DecisionRefused("note_required")
    with transaction.atomic():
        case = DuplicateCase.objects.select_for_update().get(pk=case.pk)
        if case.status != DuplicateCase.Status.OPEN:
            raise DecisionRefused("not_open")
        case.status = decision
        case.decided_by = actor if getattr(actor, "pk", None) else None
        case.decided_at = timezone.now()
        case.decision_note = note
        case.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(action="fingerprint_duplicate_decided", actor=actor, subject_label=case.national_id,
                     client_address=client_address, other_national_id=case.other_national_id, decision=decision,
                     case=case.pk, reason=note)
    return case


# --- demo data ----------------------------------------------------------------------------------


def matcher_available() -> bool:
    """Whether the matcher's engine answers here (libfprint installed): the demo loaders ask first."""
    try:
        return bool(get_matcher().engine_version)
    except MatcherUnavailable:
        return False


def synthetic_reference_enrol(*, person: Person, actor, reason: str) -> Person:
    """A demo person's reference from the synthetic generator's enrolment images of their right index."""
    from . import synthetic

    return reference_enrol(person=person, images=synthetic.enrolment_images(person.national_id), actor=actor, reason=reason)
