"""Checks every uploaded file by its bytes before anything keeps it.

Only PDF, JPEG and PNG are accepted, recognised by their first bytes whatever the file's name or
declared type. Images are decoded and re-encoded with Pillow so that nothing rides inside them
(EXIF, comments, extra chunks, trailing data); PDFs are kept as they are once they pass the
checks. Every file then goes through the malware scanner (`civil_affairs.scanning`); if the
scanner cannot answer, the file is refused.

A file whose name ends in .pdf but whose bytes are none of the three is refused as `not_real_pdf`
(a renamed file), anything else unknown as `type_not_allowed`.

`check_upload` returns a `CheckedFile` or raises `UploadRefused(code, file_name)`;
`check_uploads` checks a request's files together and raises `UploadsRefused` listing every
refusal, so that a page can name all the bad files at once. `CheckedFile.display_name` is for
showing only: files are stored under a server-chosen name, never under anything the user typed.

Settings (all optional): UPLOAD_MAX_BYTES, UPLOAD_MAX_FILES, UPLOAD_MAX_PIXELS, MALWARE_SCANNER.
"""

import base64
import hashlib
import logging
import re
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.utils.translation import gettext, gettext_noop
from PIL import Image, ImageCms, ImageOps

from .scanning import BaseScanner, ScannerUnavailable, get_scanner

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_FILES = 10
DEFAULT_MAX_PIXELS = 40_000_000
DISPLAY_NAME_MAX = 100
JPEG_QUALITY = 90

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}

_MESSAGES = {
    "empty": gettext_noop("%(name)s: the file is empty."),
    "too_large": gettext_noop("%(name)s: a file can be at most %(limit)s MB."),
    "too_many_files": gettext_noop("You can attach at most %(limit)s files."),
    "type_not_allowed": gettext_noop("%(name)s: only PDF, JPEG and PNG files can be attached."),
    "not_real_pdf": gettext_noop(
        "%(name)s: this file is not a real PDF. Its name ends in .pdf but its content is another kind of file "
        "(perhaps it was renamed). Open it and save or print it as PDF, then attach it again."
    ),
    "web_content": gettext_noop("%(name)s: the file contains web page code and cannot be accepted."),
    "pdf_active_content": gettext_noop(
        "%(name)s: the PDF contains scripts, attachments or automatic actions. Print it to a new PDF and try again."
    ),
    "pdf_encrypted": gettext_noop(
        "%(name)s: the PDF is password-protected or encrypted. Save it without protection and try again."
    ),
    "pdf_malformed": gettext_noop("%(name)s: the PDF is damaged or incomplete. Save it again as PDF and try again."),
    "image_invalid": gettext_noop("%(name)s: the image is damaged or incomplete."),
    "image_too_many_pixels": gettext_noop(
        "%(name)s: the image is too large; it can have at most %(limit)s megapixels."
    ),
    "infected": gettext_noop("%(name)s: the file was refused for security reasons."),
    "scanner_unavailable": gettext_noop(
        "%(name)s: the file could not be checked for security right now. Please try again later."
    ),
}


class UploadRefused(Exception):
    """One file is refused; `code` says which rule, `file_name` is the cleaned name to show."""

    def __init__(self, code: str, file_name: str = "", **params):
        super().__init__(code, file_name)
        self.code = code
        self.file_name = file_name
        self.params = params

    def message(self) -> str:
        # First-strong isolates keep a Latin file name from reordering the Arabic sentence round it.
        values = {"name": f"\u2068{self.file_name}\u2069", **self.params}
        return gettext(_MESSAGES[self.code]) % values


class UploadsRefused(Exception):
    """Some files of one request are refused: `refusals` lists each, in the order of the files."""

    def __init__(self, refusals: list[UploadRefused]):
        super().__init__([r.code for r in refusals])
        self.refusals = refusals

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.refusals]

    def messages(self) -> list[str]:
        return [r.message() for r in self.refusals]


@dataclass(frozen=True)
class CheckedFile:
    content: bytes  # for images, the re-encoded bytes
    content_type: str
    extension: str
    display_name: str  # for display only; never a path
    size: int
    sha256: str


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_bytes() -> int:
    return _setting("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)


def max_files() -> int:
    return _setting("UPLOAD_MAX_FILES", DEFAULT_MAX_FILES)


def max_pixels() -> int:
    limit = _setting("UPLOAD_MAX_PIXELS", DEFAULT_MAX_PIXELS)
    # Never above Pillow's own bomb limit, so that an image Pillow would warn about is refused.
    if Image.MAX_IMAGE_PIXELS:
        limit = min(limit, int(Image.MAX_IMAGE_PIXELS))
    return limit


def _number(value: float) -> str:
    return f"{value:g}"


# ---------------------------------------------------------------- display names

_WINDOWS_RESERVED = re.compile(r'[<>:"|?*]')


def clean_display_name(raw: str | None, extension: str = "") -> str:
    """The user's file name made safe to show: last path part only, no control or format
    characters (so no right-to-left override), no `..`, at most 100 characters; with
    `extension`, the user's own extension is replaced by it."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = _WINDOWS_RESERVED.sub("_", name)
    name = re.sub(r"\s+", " ", name)
    name = re.sub(r"\.{2,}", ".", name).strip()
    if extension:
        stem, dot, old = name.rpartition(".")
        if dot and 0 < len(old) <= 5 and old.isalnum():
            name = stem
        name = name.strip(" .") or "file"
        return name[: DISPLAY_NAME_MAX - len(extension)].rstrip(" .") + extension
    return name.strip(" .")[:DISPLAY_NAME_MAX] or "file"


# ---------------------------------------------------------------- reading


def _read_at_most(uploaded, limit: int) -> bytes:
    """At most `limit` + 1 bytes: enough to tell that a file is too large without reading it all."""
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    buffer = bytearray()
    while len(buffer) <= limit:
        chunk = uploaded.read(min(64 * 1024, limit + 1 - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    return bytes(buffer)


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


# Markup a browser would run if it ever rendered the file as a page. A tag counts when followed by
# whitespace, "/" or ">" (as in the WHATWG sniffing rules): a bare "<svg" in compressed image data
# would otherwise refuse about one large photo in a hundred.
_WEB_CONTENT = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|svg|iframe|frame|object|embed)[\s/>]|javascript:|vbscript:",
    re.IGNORECASE,
)


# ---------------------------------------------------------------- PDF

# A PDF is refused when it names any of these. Conservative on purpose: nobody needs scripts,
# embedded files, forms that submit or fetch, multimedia or links that launch programs or other
# files in a document sent to a government office. /JS and /JavaScript cover a script wherever
# it is triggered (/OpenAction, /AA, /Names); /AA alone (actions on page or field events) is
# refused too. A bare /OpenAction (open at page 1, "fit page") and /URI links are common in
# ordinary PDFs and harmless without a script, so they pass; a "javascript:" link is caught as
# web content.
PDF_ACTIVE_NAMES = frozenset(
    {
        b"JavaScript",
        b"Launch",
        b"EmbeddedFile",
        b"EmbeddedFiles",
        b"FileAttachment",
        b"RichMedia",
        b"XFA",
        b"SubmitForm",
        b"ImportData",
        b"GoToE",
        b"GoToR",
        b"Sound",
        b"Movie",
        b"Rendition",
    }
)
# Two-letter names are looked for only in dictionaries (outside stream data, and in decoded object
# streams): in image data a three-byte "/JS" turns up by chance in about one large PDF in fifty.
# An action still needs its type, one of the long names above, which is looked for everywhere.
PDF_ACTIVE_SHORT_NAMES = frozenset({b"JS", b"AA"})

_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
_PDF_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Possessive quantifiers and the look-behind keep these linear on long runs of digits or spaces.
_PDF_STREAM = re.compile(rb">>\s*+stream(?:\r\n|\n|\r)")
_PDF_OBJ = re.compile(rb"(?<!\d)\d++\s++\d++\s++obj\b")
# An object stream's data opens with its index of "object-number offset" pairs.
_PDF_OBJECT_INDEX = re.compile(rb"\s*\d+\s+\d+\s")
_PDF_FILTERS = frozenset(
    {
        b"FlateDecode", b"Fl", b"LZWDecode", b"LZW", b"ASCIIHexDecode", b"AHx", b"ASCII85Decode", b"A85",
        b"RunLengthDecode", b"RL", b"CCITTFaxDecode", b"CCF", b"DCTDecode", b"DCT", b"JBIG2Decode",
        b"JPXDecode", b"Crypt",
    }
)  # fmt: skip
# Object streams hold compressed dictionaries, where an action can hide, so we decode them to
# look inside, up to this many bytes in all: a deflate bomb stops here and is refused.
PDF_INFLATE_BUDGET = 64 * 1024 * 1024


class _PdfUninspectable(Exception):
    """An object stream we cannot decode, so cannot look inside."""


class _PdfNames:
    """The names in parts of one PDF, with #xx escapes decoded (/J#61vaScript is /JavaScript);
    each spelling is decoded once, however often a hostile file repeats it."""

    def __init__(self):
        self._decoded: dict[bytes, bytes] = {}

    def _raw(self, blob: bytes) -> list[bytes]:
        raw = _PDF_NAME.findall(blob)
        for name in set(raw).difference(self._decoded):
            self._decoded[name] = _PDF_HEX_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), name)
        return raw

    def in_order(self, blob: bytes) -> list[bytes]:
        return [self._decoded[name] for name in self._raw(blob)]

    def distinct(self, blob: bytes) -> set[bytes]:
        return {self._decoded[name] for name in set(self._raw(blob))}


def _inflate(data: memoryview, budget: int) -> bytes:
    """Inflate a deflate stream that starts at data[0], to its own end (not to the next
    "endstream", which could be planted inside the compressed data), at most `budget` bytes."""
    inflater = zlib.decompressobj()
    out = bytearray()
    position = 0
    while True:
        if inflater.unconsumed_tail:
            chunk = inflater.unconsumed_tail
        elif inflater.eof or position >= len(data):
            return bytes(out)
        else:
            chunk = data[position : position + 65536]
            position += len(chunk)
        try:
            out += inflater.decompress(chunk, budget + 1 - len(out))
        except zlib.error as exc:
            raise _PdfUninspectable from exc
        if len(out) > budget:
            raise _PdfUninspectable


def _decode_stream(data: memoryview, filters: list[bytes], budget: int) -> bytes:
    for name in filters:
        if name in (b"FlateDecode", b"Fl"):
            data = memoryview(_inflate(data, budget))
            continue
        raw = bytes(data)
        try:
            if name in (b"ASCIIHexDecode", b"AHx"):
                digits = re.sub(rb"\s", b"", raw.split(b">", 1)[0])
                data = memoryview(bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii")))
            elif name in (b"ASCII85Decode", b"A85"):
                data = memoryview(base64.a85decode(raw.split(b"~>", 1)[0], ignorechars=b" \t\n\r\x0c\x00"))
            else:  # LZW, run-length, encryption...: rare in object streams, and we cannot look inside
                raise _PdfUninspectable
        except ValueError as exc:
            raise _PdfUninspectable from exc
    return bytes(data)


def _looks_like_zlib(head: memoryview) -> bool:
    return len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] * 256 + head[1]) % 31 == 0


def _pdf_parts(data: bytes, names: _PdfNames) -> tuple[set[bytes], list[bytes]]:
    """The names outside stream data, and the decoded object streams."""
    view = memoryview(data)
    outside: set[bytes] = set()
    decoded: list[bytes] = []
    budget = PDF_INFLATE_BUDGET
    position = 0
    while (match := _PDF_STREAM.search(data, position)) is not None:
        start = match.end()
        end = data.find(b"endstream", start)
        end = len(data) if end == -1 else end
        before = data[position : match.start()]
        before_names = names.distinct(before)
        outside |= before_names
        objects = list(_PDF_OBJ.finditer(before))
        dictionary = names.in_order(before[objects[-1].end() :] if objects else before[-4096:])
        filters = [n for n in dictionary if n in _PDF_FILTERS]
        if not filters and _looks_like_zlib(view[start : start + 2]):
            filters = [b"FlateDecode"]  # compressed, yet no filter in sight: look inside anyway
        # /First is required by every reader of an object stream, even when /Type is left out.
        is_object_stream = b"ObjStm" in before_names or b"First" in dictionary
        if not is_object_stream and filters[:1] in ([b"FlateDecode"], [b"Fl"]):
            # A disguised object stream still opens with its index; ordinary streams rarely do.
            try:
                head = zlib.decompressobj().decompress(view[start : start + 4096], 64)
            except zlib.error:
                head = b""
            is_object_stream = _PDF_OBJECT_INDEX.match(head) is not None
        if is_object_stream:
            if b"DecodeParms" in dictionary or b"DP" in dictionary:
                raise _PdfUninspectable
            body = _decode_stream(view[start:] if filters else view[start:end], filters, budget)
            budget -= len(body)
            decoded.append(body)
        position = end
    outside |= names.distinct(data[position:])
    return outside, decoded


def _check_pdf(data: bytes, name: str) -> None:
    """A heuristic look at the raw bytes, not a full parse (a string can hide a keyword from it):
    clamd's PDF engine is the second look, and files are only ever served as downloads."""
    if not data.startswith((b"%PDF-1.", b"%PDF-2.")) or b"%%EOF" not in data[-1024:]:
        raise UploadRefused("pdf_malformed", name)
    names = _PdfNames()
    everywhere = names.distinct(data)
    # Encrypted objects cannot be looked into, so no check below could be trusted.
    if b"Encrypt" in everywhere:
        raise UploadRefused("pdf_encrypted", name)
    try:
        outside, object_streams = _pdf_parts(data, names)
    except _PdfUninspectable:
        raise UploadRefused("pdf_malformed", name) from None
    dictionaries = outside.union(*(names.distinct(body) for body in object_streams))
    if (everywhere | dictionaries) & PDF_ACTIVE_NAMES or dictionaries & PDF_ACTIVE_SHORT_NAMES:
        raise UploadRefused("pdf_active_content", name)
    if any(_WEB_CONTENT.search(body) for body in object_streams):
        raise UploadRefused("web_content", name)


# ---------------------------------------------------------------- images

_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _header_dimensions(data: bytes, content_type: str) -> tuple[int, int] | None:
    """Width and height from the header alone, before any decoder sees the file."""
    if content_type == PNG:
        if data[12:16] != b"IHDR" or len(data) < 24:
            return None
        return struct.unpack(">II", data[16:24])
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            return None
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if marker in _JPEG_SOF:
            if position + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        if length < 2:
            return None
        position += 2 + length
    return None


def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply an embedded colour profile (phone photos in Display P3, CMYK scans) so that the
    colours survive when the profile is dropped; a profile that cannot be used is just dropped."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(profile))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGBA" if image.mode == "RGBA" else "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


_PILLOW_PLUGIN = {PNG: "PNG", JPEG: "JPEG"}
_PILLOW_FORMATS = {PNG: ("PNG",), JPEG: ("JPEG", "MPO")}  # MPO: camera JPEGs with extra frames
_KEEP_MODES = {PNG: {"1", "L", "LA", "RGB", "RGBA"}, JPEG: {"L", "RGB"}}


def _too_many_pixels(name: str, limit: int) -> UploadRefused:
    return UploadRefused("image_too_many_pixels", name, limit=_number(limit / 1_000_000))


def _reencode_image(data: bytes, content_type: str, name: str) -> bytes:
    limit = max_pixels()
    dimensions = _header_dimensions(data, content_type)
    if dimensions is None or 0 in dimensions:
        raise UploadRefused("image_invalid", name)
    if dimensions[0] * dimensions[1] > limit:
        raise _too_many_pixels(name, limit)
    formats = _PILLOW_FORMATS[content_type]
    try:
        with Image.open(BytesIO(data), formats=[_PILLOW_PLUGIN[content_type]]) as probe:
            if probe.format not in formats:
                raise UploadRefused("image_invalid", name)
            if probe.width * probe.height > limit:
                raise _too_many_pixels(name, limit)
            probe.verify()
        with Image.open(BytesIO(data), formats=[_PILLOW_PLUGIN[content_type]]) as image:
            image.load()  # raises on truncated data (unless LOAD_TRUNCATED_IMAGES is switched on)
            try:
                picture = ImageOps.exif_transpose(image)  # always a new image: `image` is not changed
            except Exception:  # a broken EXIF block only loses its rotation; the EXIF is dropped anyway
                picture = image.copy()
            picture = _to_srgb(picture)
            if picture.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit grey: scale, not clip, to 8 bits
                picture = picture.convert("I").point(lambda value: value / 256).convert("L")
            if picture.mode not in _KEEP_MODES[content_type]:
                has_alpha = "A" in picture.getbands() or "transparency" in picture.info
                picture = picture.convert("RGBA" if has_alpha and content_type == PNG else "RGB")
            picture.info = {}  # no EXIF, XMP, ICC, comments or text chunks in what we save
            out = BytesIO()
            if content_type == JPEG:
                picture.save(out, format="JPEG", quality=JPEG_QUALITY)
            else:
                picture.save(out, format="PNG")
    except UploadRefused:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels(name, limit) from None
    except Exception:  # Pillow raises many kinds (OSError, SyntaxError, struct.error...) on bad data
        raise UploadRefused("image_invalid", name) from None
    return out.getvalue()


# ---------------------------------------------------------------- the checks


def check_upload(uploaded, *, scanner: BaseScanner | None = None) -> CheckedFile:
    """Check one Django UploadedFile; return what may be kept or raise UploadRefused."""
    name = clean_display_name(getattr(uploaded, "name", ""))
    limit = max_bytes()
    if (getattr(uploaded, "size", None) or 0) > limit:
        raise UploadRefused("too_large", name, limit=_number(limit / (1024 * 1024)))
    data = _read_at_most(uploaded, limit)  # the declared size may lie
    if not data:
        raise UploadRefused("empty", name)
    if len(data) > limit:
        raise UploadRefused("too_large", name, limit=_number(limit / (1024 * 1024)))

    content_type = _sniff(data)
    if content_type is None:
        # A document or a page renamed to "x.pdf" is told so: "only PDF..." would puzzle its sender.
        raise UploadRefused("not_real_pdf" if name.lower().endswith(".pdf") else "type_not_allowed", name)
    if _WEB_CONTENT.search(data):
        raise UploadRefused("web_content", name)
    if content_type == PDF:
        _check_pdf(data, name)
        content = data
    else:
        content = _reencode_image(data, content_type, name)

    scanner = scanner or get_scanner()
    digest = hashlib.sha256(data).hexdigest()
    try:
        result = scanner.scan(data)  # the bytes as received, which is what the scanner knows
    except ScannerUnavailable as exc:
        logger.error("upload refused, scanner unavailable: %s sha256=%s", exc, digest)
        raise UploadRefused("scanner_unavailable", name) from exc
    if not result.clean:
        logger.warning("upload refused as infected: signature=%s sha256=%s", result.signature, digest)
        raise UploadRefused("infected", name)

    extension = EXTENSIONS[content_type]
    return CheckedFile(
        content=content,
        content_type=content_type,
        extension=extension,
        display_name=clean_display_name(getattr(uploaded, "name", ""), extension),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def check_uploads(files, *, already_attached: int = 0, scanner: BaseScanner | None = None) -> list[CheckedFile]:
    """Check one request's files; raise UploadsRefused naming every refused file."""
    files = list(files)
    limit = max_files()
    if already_attached + len(files) > limit:
        raise UploadsRefused([UploadRefused("too_many_files", "", limit=limit)])
    scanner = scanner or get_scanner()
    checked, refusals = [], []
    for uploaded in files:
        try:
            checked.append(check_upload(uploaded, scanner=scanner))
        except UploadRefused as refusal:
            refusals.append(refusal)
    if refusals:
        raise UploadsRefused(refusals)
    return checked
