"""Import the registry's reference fingerprints from a folder, one enrolment per ID number.

    manage.py import_fingerprints <folder> [--reason TEXT]

The folder holds, per ID number, either the enrolment images of its reference finger,
`<national_id>_<n>.png` (8-bit grey or anything Pillow turns grey; 1 to 10 of them; their
resolution from the file, else 500 dpi), or a template another system extracted,
`<national_id>.nbt` (biometrics.fingerprint's format). Each ID becomes one
biometrics.enrolment.reference_enrol, which queues its de-duplication. A template is stored as
given but is not searched by the reference engine (status "template only").

Refused with a line each, while the others go on: a name this import does not read, an ID the
registry does not know, a file that is not an image or a template, an ID with both images and a
template, with more than 10 images, or whose images have too little ridge detail.
"""

import re
from collections import defaultdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations

from biometrics.enrolment import reference_enrol
from biometrics.fingerprint import MAX_PRINTS, TemplateError
from biometrics.images import MAX_DPI, MAX_SIDE, MIN_DPI, FingerImage, ImageError
from biometrics.matching import MatcherUnavailable, PoorImage
from civil_affairs.models import Person

IMAGE_NAME = re.compile(r"^(?P<id>[12]\d{9})_(?P<n>\d{1,2})\.png$", re.IGNORECASE)
TEMPLATE_NAME = re.compile(r"^(?P<id>[12]\d{9})\.nbt$", re.IGNORECASE)
MAX_FILE_BYTES = 5 * 1024 * 1024
DEFAULT_REASON = "registry import (import_fingerprints)"


def read_png(path: Path) -> FingerImage:
    """A grey FingerImage from a PNG file, or ImageError (never a Pillow error)."""
    from PIL import Image, UnidentifiedImageError

    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImageError("file too large")
    try:
        with Image.open(path) as picture:
            if picture.format != "PNG":
                raise ImageError("not a PNG image")
            width, height = picture.size
            if width > MAX_SIDE or height > MAX_SIDE:  # checked before the pixels are decoded
                raise ImageError("image size out of range")
            dpi = picture.info.get("dpi", (500, 500))[0]
            grey = picture.convert("L")
            pixels = grey.tobytes()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        if isinstance(exc, ImageError):
            raise
        raise ImageError("not a readable image") from None
    dpi = int(round(float(dpi))) if dpi else 500
    if not (MIN_DPI <= dpi <= MAX_DPI):
        dpi = 500
    return FingerImage(pixels=pixels, width=width, height=height, dpi=dpi)


class Command(BaseCommand):
    help = "Import reference fingerprints (<id>_<n>.png images or <id>.nbt templates) from a folder, one enrolment per ID."

    def add_arguments(self, parser):
        parser.add_argument("folder")
        parser.add_argument("--reason", default=DEFAULT_REASON, help="kept in the audit trail of every reference set")

    @no_translations
    def handle(self, *args, folder, reason, **options):
        root = Path(folder)
        if not root.is_dir():
            raise CommandError(f"{folder}: not a folder")
        images, templates = defaultdict(list), {}
        self.refusals = 0
        for path in sorted(p for p in root.iterdir() if p.is_file()):
            if match := IMAGE_NAME.match(path.name):
                images[match["id"]].append(path)
            elif match := TEMPLATE_NAME.match(path.name):
                templates[match["id"]] = path
            else:
                self._refuse(path.name, "not a name this import reads (<id>_<n>.png or <id>.nbt)")
        ids = sorted(set(images) | set(templates))
        known = set(Person.objects.filter(national_id__in=ids).values_list("national_id", flat=True))
        from_images = from_templates = 0
        for national_id in ids:
            if national_id not in known:
                self._refuse(national_id, "no such ID number in the registry")
                continue
            if national_id in images and national_id in templates:
                self._refuse(national_id, "both images and a template: keep one")
                continue
            person = Person.objects.get(national_id=national_id)
            if national_id in templates:
                from_templates += self._from_template(person, templates[national_id], reason)
            else:
                from_images += self._from_images(person, images[national_id], reason)
        done = from_images + from_templates
        self.stdout.write(
            f"references imported: {done} ({from_images} from images, {from_templates} from templates, "
            f"not searched for duplicates by the reference engine); refused: {self.refusals}"
        )

    def _refuse(self, what: str, why: str) -> None:
        self.refusals += 1
        self.stdout.write(self.style.WARNING(f"refused {what}: {why}"))

    def _from_template(self, person: Person, path: Path, reason: str) -> int:
        if path.stat().st_size > MAX_FILE_BYTES:
            self._refuse(path.name, "file too large")
            return 0
        try:
            reference_enrol(person=person, template=path.read_bytes(), actor=None, reason=reason)
        except (TemplateError, OSError):
            self._refuse(path.name, "not a fingerprint template in this portal's format")
            return 0
        return 1

    def _from_images(self, person: Person, paths: list[Path], reason: str) -> int:
        if len(paths) > MAX_PRINTS:
            self._refuse(person.national_id, f"{len(paths)} images: at most {MAX_PRINTS}")
            return 0
        read = []
        for path in paths:
            try:
                read.append(read_png(path))
            except (ImageError, OSError):
                self._refuse(path.name, "not a readable grey fingerprint image (PNG, 64 to 1200 pixels a side)")
        if not read:
            self._refuse(person.national_id, "no readable image")
            return 0
        try:
            reference_enrol(person=person, images=read, actor=None, reason=reason)
        except PoorImage:
            self._refuse(person.national_id, "too little ridge detail in the images")
            return 0
        except MatcherUnavailable:
            self._refuse(person.national_id, "the matcher is unavailable (libfprint): images cannot be enrolled now")
            return 0
        return 1
