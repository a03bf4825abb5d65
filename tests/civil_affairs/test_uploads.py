"""Uploaded files are checked by their bytes: good PDF/JPEG/PNG pass (images re-encoded), the rest
is refused with a code. Every fixture file is built here, at run time."""

import base64
import hashlib
import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

from civil_affairs import uploads
from civil_affairs.scanning import EICAR, BaseScanner, ScannerUnavailable, ScanResult
from civil_affairs.uploads import (
    CheckedFile,
    UploadRefused,
    UploadsRefused,
    check_upload,
    check_uploads,
    clean_display_name,
)

# ---------------------------------------------------------------- building files


def pdf_stream(data: bytes, dictionary: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n" % (len(data), dictionary) + data + b"\nendstream"


def make_pdf(
    *,
    catalog: bytes = b"",
    page: bytes = b"",
    extra_objects: tuple[bytes, ...] = (),
    trailer: bytes = b"",
    header: bytes = b"%PDF-1.7",
    size: int | None = None,
) -> bytes:
    """A small valid one-page PDF (correct xref offsets); with `size`, padded by a comment to
    exactly that many bytes."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R" + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R" + page + b" >>",
        pdf_stream(b"BT /F1 12 Tf 72 720 Td (Civil affairs) Tj ET"),
        *extra_objects,
    ]

    def build(pad: int) -> bytes:
        out = bytearray(header + b"\n%\xe2\xe3\xcf\xd3\n")
        if pad:
            out += b"%" + b"P" * (pad - 2) + b"\n"
        offsets = []
        for number, body in enumerate(objects, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
        return bytes(out)

    if size is None:
        return build(0)
    pad = 2
    for _ in range(5):
        pad += size - len(build(pad))
        if len(build(pad)) == size:
            return build(pad)
    raise AssertionError("could not pad the PDF")


def object_stream(objects: bytes, *, filter_name: bytes = b"/FlateDecode") -> bytes:
    data = zlib.compress(objects) if filter_name == b"/FlateDecode" else objects
    return pdf_stream(data, b" /Type /ObjStm /N 1 /First 4 /Filter " + filter_name)


def make_image(fmt: str, size=(64, 48), mode="RGB", **save) -> bytes:
    image = Image.new(mode, size)
    for x in range(size[0]):
        for y in range(size[1]):
            image.putpixel((x, y), (x * 4 % 256, y * 5 % 256, 128) if mode.startswith("RGB") else (x + y) % 256)
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A 1-bit black PNG of width x height: a few kilobytes on disk, huge once decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed pixels
    deflate = zlib.compressobj(9)
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusal_code(uploaded, **kwargs) -> str:
    with pytest.raises(UploadRefused) as refused:
        check_upload(uploaded, **kwargs)
    return refused.value.code


class FixedScanner(BaseScanner):
    def __init__(self, result=None):
        self.result = result or ScanResult(clean=True)
        self.seen: list[bytes] = []

    def scan(self, data):
        self.seen.append(data)
        return self.result


class UnavailableScanner(BaseScanner):
    def scan(self, data):
        raise ScannerUnavailable("down")


# ---------------------------------------------------------------- good files


def test_good_pdf_is_kept_as_it_is():
    data = make_pdf()
    checked = check_upload(upload("report.PDF", data, "application/pdf"))
    assert isinstance(checked, CheckedFile)
    assert checked.content == data
    assert (checked.content_type, checked.extension, checked.display_name) == ("application/pdf", ".pdf", "report.pdf")
    assert checked.size == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()


def test_pdf_opening_at_a_page_passes():
    # /OpenAction without a script (open at page 1, fit) is common in ordinary PDFs.
    assert (
        check_upload(upload("a.pdf", make_pdf(catalog=b" /OpenAction [3 0 R /Fit]"))).content_type == "application/pdf"
    )


def test_pdf_with_a_clean_object_stream_passes():
    data = make_pdf(extra_objects=(object_stream(b"6 0 << /Producer (Office) /Title (Form) >>"),))
    assert check_upload(upload("a.pdf", data)).content == data


def test_pdf_whose_image_data_happens_to_hold_short_names_passes():
    # Three bytes "/JS" turn up by chance in binary image data; that is not a script.
    image = pdf_stream(b"\x00\x01/JS\x00/AA\xff" * 50, b" /Type /XObject /Subtype /Image /Filter /DCTDecode")
    assert check_upload(upload("a.pdf", make_pdf(extra_objects=(image,)))).content_type == "application/pdf"


def test_good_jpeg_is_reencoded_without_exif_comment_or_trailing_bytes():
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    exif[0x0112] = 6  # rotated: the pixels must be turned upright before the EXIF goes
    original = make_image("JPEG", size=(64, 48), exif=exif.tobytes(), comment=b"secret-comment") + b"TRAILING-JUNK"
    checked = check_upload(upload("photo.jpeg", original, "image/jpeg"))
    assert (checked.content_type, checked.extension, checked.display_name) == ("image/jpeg", ".jpg", "photo.jpg")
    assert checked.content != original
    for leftover in (b"SecretCameraMaker", b"secret-comment", b"TRAILING-JUNK", b"Exif"):
        assert leftover not in checked.content
    with Image.open(io.BytesIO(checked.content)) as image:
        image.load()
        assert image.format == "JPEG"
        assert image.size == (48, 64)
        assert not image.getexif()
    assert checked.size == len(checked.content)


def test_good_png_is_reencoded_without_text_chunks_or_trailing_bytes():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-text")
    original = make_image("PNG", mode="RGBA", pnginfo=info) + b"TRAILING-JUNK"
    checked = check_upload(upload("scan.png", original, "image/png"))
    assert (checked.content_type, checked.extension, checked.display_name) == ("image/png", ".png", "scan.png")
    assert b"secret-text" not in checked.content and b"TRAILING-JUNK" not in checked.content
    assert checked.content.endswith(png_chunk(b"IEND", b""))
    with Image.open(io.BytesIO(checked.content)) as image:
        image.load()
        assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (64, 48))
        assert "Comment" not in image.info


def test_palette_png_with_transparency_keeps_it():
    image = Image.new("P", (8, 8), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    out = io.BytesIO()
    image.save(out, format="PNG", transparency=0)
    checked = check_upload(upload("p.png", out.getvalue()))
    with Image.open(io.BytesIO(checked.content)) as result:
        assert result.mode == "RGBA"


def test_cmyk_jpeg_comes_back_rgb():
    out = io.BytesIO()
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(out, format="JPEG")
    checked = check_upload(upload("print.jpg", out.getvalue()))
    with Image.open(io.BytesIO(checked.content)) as result:
        assert result.mode == "RGB"


def test_colour_profile_is_applied_and_dropped():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for fmt in ("JPEG", "PNG"):
        checked = check_upload(upload("x", make_image(fmt, icc_profile=icc)))
        with Image.open(io.BytesIO(checked.content)) as result:
            assert "icc_profile" not in result.info


def test_sixteen_bit_grey_png_is_scaled_to_eight_bits():
    image = Image.new("I;16", (2, 1))
    image.putpixel((0, 0), 65535)
    image.putpixel((1, 0), 32768)
    out = io.BytesIO()
    image.save(out, format="PNG")
    checked = check_upload(upload("x.png", out.getvalue()))
    with Image.open(io.BytesIO(checked.content)) as result:
        assert result.mode == "L"
        assert (result.getpixel((0, 0)), result.getpixel((1, 0))) == (255, 128)


def test_type_is_taken_from_the_bytes_not_the_name():
    checked = check_upload(upload("scan.pdf", make_image("PNG"), "application/pdf"))
    assert (checked.content_type, checked.extension, checked.display_name) == ("image/png", ".png", "scan.png")


# ---------------------------------------------------------------- refused: type and web content


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", b"<html><body><script>alert(document.cookie)</script></body></html>"),
        ("invoice.pdf", b"<!DOCTYPE html><p>hello</p>"),
        ("photo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        ("docs.zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40),
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 60),
        ("notes.png", b"just some text"),
        ("late-header.pdf", b"junk\n" + make_pdf()),
        ("Letter.PDF", b"PK\x03\x04\x14\x00\x06\x00" + b"[Content_Types].xml" + b"\x00" * 40),
        ("report.pdf.txt", b"%PDX-1.7 not quite"),
    ],
)
def test_anything_but_pdf_jpeg_png_is_refused(name, content):
    """Named .pdf, it is told it is not a real PDF; under any other name, which types are allowed."""
    expected = "not_real_pdf" if name.lower().endswith(".pdf") else "type_not_allowed"
    assert refusal_code(upload(name, content, "application/pdf")) == expected


def test_a_renamed_file_is_told_it_is_not_a_real_pdf():
    word = b"PK\x03\x04\x14\x00\x06\x00" + b"word/document.xml" + b"\x00" * 40
    with pytest.raises(UploadRefused) as refused:
        check_upload(upload("family record.pdf", word, "application/pdf"))
    assert refused.value.code == "not_real_pdf"
    with translation.override("en"):
        assert refused.value.message() == (
            "\u2068family record.pdf\u2069: this file is not a real PDF. Its name ends in .pdf but its content is "
            "another kind of file (perhaps it was renamed). Open it and save or print it as PDF, then attach it again."
        )
    with pytest.raises(UploadRefused) as refused:
        check_upload(upload("family record.docx", word))
    assert refused.value.code == "type_not_allowed"
    with translation.override("en"):
        assert refused.value.message() == (
            "\u2068family record.docx\u2069: only PDF, JPEG and PNG files can be attached."
        )


def test_svg_with_script_is_refused():
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert refusal_code(upload("logo.svg", svg, "image/svg+xml")) in {"type_not_allowed", "web_content"}
    assert refusal_code(upload("logo.png", svg, "image/png")) in {"type_not_allowed", "web_content"}


def test_png_header_followed_by_html_is_refused():
    polyglot = b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"
    assert refusal_code(upload("x.png", polyglot, "image/png")) == "web_content"


def test_real_png_with_html_appended_is_refused():
    polyglot = make_image("PNG") + b"<script>alert(document.domain)</script>"
    assert refusal_code(upload("x.png", polyglot, "image/png")) == "web_content"


def test_jpeg_with_markup_in_its_comment_is_refused():
    data = make_image("JPEG", comment=b"<SVG onload=alert(1)>")
    assert refusal_code(upload("x.jpg", data)) == "web_content"


def test_pdf_with_a_javascript_link_is_refused():
    link = b"<< /Type /Annot /Subtype /Link /A << /S /URI /URI (javascript:alert(1)) >> >>"
    assert refusal_code(upload("x.pdf", make_pdf(extra_objects=(link,)))) == "web_content"


# ---------------------------------------------------------------- refused: PDFs


@pytest.mark.parametrize(
    "kwargs",
    [
        {"catalog": b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"},
        {"catalog": b" /Names << /JavaScript 6 0 R >>"},
        {"catalog": b" /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"},  # #xx escapes
        {"catalog": b" /OpenAction << /S /Launch /F (cmd.exe) >>"},
        {"catalog": b" /Names << /EmbeddedFiles 6 0 R >>"},
        {"catalog": b" /AcroForm << /XFA 6 0 R >>"},
        {"page": b" /AA << /O 6 0 R >>"},
        {"extra_objects": (b"<< /S /SubmitForm /F (https://example.com/) >>",)},
        {"extra_objects": (pdf_stream(b"payload", b" /Type /EmbeddedFile"),)},
        {"extra_objects": (object_stream(b"6 0 << /S /JavaScript /JS (app.alert(1)) >>"),)},
        # an object stream holding a page's /AA, with its /Type left out
        {"extra_objects": (object_stream(b"6 0 << /AA << /O 7 0 R >> >>").replace(b"/Type /ObjStm ", b""),)},
    ],
    ids=[
        "open-action-js", "names-js", "hex-escaped", "launch", "embedded-files", "xfa", "page-aa", "submit-form",
        "embedded-file-stream", "js-in-object-stream", "aa-in-untyped-object-stream",
    ],
)  # fmt: skip
def test_pdf_with_active_content_is_refused(kwargs):
    assert refusal_code(upload("x.pdf", make_pdf(**kwargs))) == "pdf_active_content"


def deflate_with_a_stored_prefix(prefix: bytes, rest: bytes) -> bytes:
    """A zlib stream whose first block is stored (so `prefix` shows as it is) and the rest compressed."""
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressed = raw.compress(rest) + raw.flush()
    stored = b"\x00" + struct.pack("<HH", len(prefix), len(prefix) ^ 0xFFFF) + prefix
    return b"\x78\x01" + stored + compressed + struct.pack(">I", zlib.adler32(prefix + rest))


SCRIPT_OBJECT = b"<< /S /JavaScript /JS (app.alert(1)) >>"


def test_endstream_planted_in_compressed_data_does_not_hide_a_script():
    data = deflate_with_a_stored_prefix(b"6 0 % endstream\n", SCRIPT_OBJECT)
    assert zlib.decompress(data).endswith(SCRIPT_OBJECT)
    stream = pdf_stream(data, b" /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode")
    assert refusal_code(upload("x.pdf", make_pdf(extra_objects=(stream,)))) == "pdf_active_content"


def test_object_stream_with_its_dictionary_disguised_is_still_opened():
    # No /Type; "9 0 obj" in a string makes the real keys look like another object's.
    stream = pdf_stream(zlib.compress(b"6 0 " + SCRIPT_OBJECT), b" /N 1 /First 4 /Filter /FlateDecode /X (9 0 obj)")
    assert refusal_code(upload("x.pdf", make_pdf(extra_objects=(stream,)))) == "pdf_active_content"


def test_object_stream_in_ascii85_and_flate_is_opened():
    encoded = base64.a85encode(zlib.compress(b"6 0 " + SCRIPT_OBJECT)) + b"~>"
    stream = pdf_stream(encoded, b" /Type /ObjStm /N 1 /First 4 /Filter [/ASCII85Decode /FlateDecode]")
    assert refusal_code(upload("x.pdf", make_pdf(extra_objects=(stream,)))) == "pdf_active_content"
    clean = pdf_stream(
        base64.a85encode(zlib.compress(b"6 0 << /Producer (x) >>")) + b"~>",
        b" /Type /ObjStm /N 1 /First 4 /Filter [/A85 /Fl]",
    )
    assert check_upload(upload("x.pdf", make_pdf(extra_objects=(clean,)))).content_type == "application/pdf"


def test_compressed_page_content_and_images_pass():
    content = pdf_stream(
        zlib.compress(b"1 0 0 1 72 720 cm BT /F1 12 Tf (Hello) Tj ET\n" * 500), b" /Filter /FlateDecode"
    )
    pixels = pdf_stream(zlib.compress(bytes(range(256)) * 400), b" /Subtype /Image /Filter /FlateDecode")
    data = make_pdf(extra_objects=(content, pixels))
    assert check_upload(upload("x.pdf", data)).content == data


@pytest.mark.parametrize(
    "data",
    [
        make_pdf(header=b"%PDF-3.0"),
        make_pdf(header=b"%PDF-"),
        make_pdf().replace(b"%%EOF", b"%%END"),
        make_pdf() + b"\n%" + b"x" * 2000 + b"\n",  # %%EOF not in the last kilobyte
        make_pdf(extra_objects=(object_stream(b"6 0 << >>", filter_name=b"/LZWDecode"),)),  # cannot look inside
        make_pdf(extra_objects=(pdf_stream(b"not deflate", b" /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode"),)),
    ],
    ids=["version-3", "no-version", "no-eof", "eof-too-early", "lzw-object-stream", "corrupt-object-stream"],
)
def test_malformed_pdf_is_refused(data):
    assert refusal_code(upload("x.pdf", data)) == "pdf_malformed"


def test_deflate_bomb_in_an_object_stream_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "PDF_INFLATE_BUDGET", 100_000)
    bomb = object_stream(b"6 0 << >>" + b" " * 200_000)
    assert refusal_code(upload("x.pdf", make_pdf(extra_objects=(bomb,)))) == "pdf_malformed"


def test_encrypted_pdf_is_refused():
    data = make_pdf(extra_objects=(b"<< /Filter /Standard /V 2 >>",), trailer=b" /Encrypt 5 0 R")
    assert refusal_code(upload("x.pdf", data)) == "pdf_encrypted"


def test_pdf_carrying_eicar_is_refused_as_infected():
    data = make_pdf(extra_objects=(pdf_stream(EICAR),))
    assert refusal_code(upload("x.pdf", data)) == "infected"


# ---------------------------------------------------------------- refused: images


def test_truncated_png_is_refused():
    data = make_image("PNG", size=(200, 200))
    assert refusal_code(upload("x.png", data[: len(data) // 2])) == "image_invalid"


def test_truncated_jpeg_is_refused():
    data = make_image("JPEG", size=(200, 200))
    assert refusal_code(upload("x.jpg", data[: len(data) // 2])) == "image_invalid"


def test_png_with_a_bad_checksum_is_refused():
    data = bytearray(make_image("PNG"))
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF
    assert refusal_code(upload("x.png", bytes(data))) == "image_invalid"


def test_jpeg_magic_without_a_jpeg_behind_it_is_refused():
    assert refusal_code(upload("x.jpg", b"\xff\xd8\xff" + make_image("PNG"))) == "image_invalid"


@pytest.fixture
def no_decoding(monkeypatch):
    """Fails the test if Pillow opens or decodes any image: a bomb must be refused from the
    size in its header, before any decoder allocates anything."""

    def refuse(*args, **kwargs):
        raise AssertionError("Pillow was asked to open or decode the image")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    monkeypatch.setattr(Image, "open", refuse)


def test_decompression_bomb_png_is_refused_without_decoding(no_decoding):
    bomb = bomb_png(20_000, 20_000)  # 400 million pixels in a few kilobytes
    assert len(bomb) < 100_000
    assert refusal_code(upload("bomb.png", bomb)) == "image_too_many_pixels"


def test_png_over_our_limit_but_under_pillows_is_refused(no_decoding):
    assert refusal_code(upload("big.png", bomb_png(8_000, 6_000))) == "image_too_many_pixels"


def test_jpeg_bomb_is_refused_from_its_frame_header(no_decoding):
    data = bytearray(make_image("JPEG", size=(8, 8)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60_000, 60_000)
    assert refusal_code(upload("bomb.jpg", bytes(data))) == "image_too_many_pixels"


def test_pixel_limit_comes_from_settings():
    data = make_image("PNG", size=(64, 48))
    with override_settings(UPLOAD_MAX_PIXELS=64 * 48 - 1):
        assert refusal_code(upload("x.png", data)) == "image_too_many_pixels"
    with override_settings(UPLOAD_MAX_PIXELS=64 * 48):
        assert check_upload(upload("x.png", data)).content_type == "image/png"


# ---------------------------------------------------------------- size and count


def test_empty_file_is_refused():
    assert refusal_code(upload("x.pdf", b"")) == "empty"


def test_the_empty_file_is_named_like_the_others():
    """The form lets an empty file through to the upload check (Django's own "The submitted
    file is empty." names no file), and the check names it."""
    import uuid

    from django.utils.datastructures import MultiValueDict

    from civil_affairs.forms import ReplyForm, RequestForm

    blank = upload("scan of record.pdf", b"")
    form = RequestForm(
        {"description": "x", "submission_key": str(uuid.uuid4())}, MultiValueDict({"files": [blank]})
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["files"] == [blank]
    reply = ReplyForm({"body": "x"}, MultiValueDict({"files": [upload("blank.png", b"")]}))
    assert reply.is_valid(), reply.errors
    with pytest.raises(UploadsRefused) as refused:
        check_uploads(form.cleaned_data["files"] + reply.cleaned_data["files"])
    assert refused.value.codes == ["empty", "empty"]
    with translation.override("en"):
        assert refused.value.messages() == [
            "\u2068scan of record.pdf\u2069: the file is empty.",
            "\u2068blank.png\u2069: the file is empty.",
        ]


@pytest.mark.django_db
def test_the_request_page_names_the_empty_and_the_renamed_file(client, citizen, settings):
    from django.urls import reverse

    from civil_affairs.models import ServiceRequest

    client.force_login(citizen)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the page in English
    response = client.post(
        reverse("civil_affairs:request-new", args=["general_inquiry"]),
        {
            "description": "Keep this text", "submission_key": "6f1c1f4e-2b7a-4d8e-9a55-0c1d2e3f4a5b",
            "files": [upload("blank.pdf", b""), upload("minutes.pdf", b"{\\rtf1\\ansi minutes}")],
        },
    )
    assert response.status_code == 200 and ServiceRequest.objects.count() == 0
    errors = response.context["form"].errors["files"]
    assert errors == [
        "\u2068blank.pdf\u2069: the file is empty.",
        "\u2068minutes.pdf\u2069: this file is not a real PDF. Its name ends in .pdf but its content is another kind "
        "of file (perhaps it was renamed). Open it and save or print it as PDF, then attach it again.",
    ]
    assert "Keep this text" in response.content.decode()


def test_exactly_the_size_limit_passes_and_one_byte_more_is_refused():
    limit = uploads.max_bytes()
    exact = make_pdf(size=limit)
    assert len(exact) == limit
    assert check_upload(upload("big.pdf", exact)).size == limit
    assert refusal_code(upload("big.pdf", make_pdf(size=limit + 1))) == "too_large"


def test_a_lying_declared_size_does_not_help():
    limit = uploads.max_bytes()
    uploaded = upload("big.pdf", make_pdf(size=limit + 1))
    uploaded.size = 1000
    assert refusal_code(uploaded) == "too_large"


def test_size_limit_comes_from_settings():
    with override_settings(UPLOAD_MAX_BYTES=100):
        assert refusal_code(upload("x.pdf", make_pdf())) == "too_large"


def test_eleventh_file_is_refused():
    files = [upload(f"f{i}.pdf", make_pdf()) for i in range(11)]
    with pytest.raises(UploadsRefused) as refused:
        check_uploads(files)
    assert refused.value.codes == ["too_many_files"]
    assert len(check_uploads(files[:10])) == 10


def test_files_already_attached_count_towards_the_limit():
    with pytest.raises(UploadsRefused) as refused:
        check_uploads([upload(f"f{i}.pdf", make_pdf()) for i in range(3)], already_attached=8)
    assert refused.value.codes == ["too_many_files"]
    assert len(check_uploads([upload("f.pdf", make_pdf())], already_attached=9)) == 1


def test_check_uploads_lists_every_bad_file():
    files = [
        upload("good.pdf", make_pdf()),
        upload("page.pdf", b"<html><script>alert(1)</script></html>"),
        upload("blank.png", b""),
        upload("photo.jpg", make_image("JPEG")),
        upload("virus.pdf", make_pdf(extra_objects=(pdf_stream(EICAR),))),
    ]
    with pytest.raises(UploadsRefused) as refused:
        check_uploads(files)
    assert refused.value.codes == ["not_real_pdf", "empty", "infected"]
    assert [r.file_name for r in refused.value.refusals] == ["page.pdf", "blank.png", "virus.pdf"]
    assert len(refused.value.messages()) == 3


def test_check_uploads_returns_every_checked_file():
    checked = check_uploads([upload("a.pdf", make_pdf()), upload("b.png", make_image("PNG"))])
    assert [c.display_name for c in checked] == ["a.pdf", "b.png"]


# ---------------------------------------------------------------- scanner


def test_scanner_sees_the_bytes_and_its_verdict_counts():
    scanner = FixedScanner(ScanResult(clean=False, signature="Test.Thing"))
    data = make_pdf()
    assert refusal_code(upload("x.pdf", data), scanner=scanner) == "infected"
    assert scanner.seen == [data]


def test_scanner_unavailable_refuses_the_file():
    assert refusal_code(upload("x.pdf", make_pdf()), scanner=UnavailableScanner()) == "scanner_unavailable"


def test_scanner_is_taken_from_settings():
    with override_settings(MALWARE_SCANNER="tests.civil_affairs.test_uploads.UnavailableScanner"):
        assert refusal_code(upload("x.pdf", make_pdf())) == "scanner_unavailable"
        with pytest.raises(UploadsRefused) as refused:
            check_uploads([upload("a.pdf", make_pdf()), upload("b.pdf", make_pdf())])
        assert refused.value.codes == ["scanner_unavailable", "scanner_unavailable"]


# ---------------------------------------------------------------- names and messages


@pytest.mark.parametrize(
    ("raw", "extension", "expected"),
    [
        ("../../etc/passwd.pdf", ".pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\report.PDF", ".pdf", "report.pdf"),
        ("C:\\fakepath\\scan.pdf", ".pdf", "scan.pdf"),
        ("invoice\u202egpj.exe", ".pdf", "invoicegpj.pdf"),  # no right-to-left override
        ("a\x00b\nc\td.pdf", ".pdf", "abcd.pdf"),
        ("my..report.pdf", ".pdf", "my.report.pdf"),
        ("...", ".pdf", "file.pdf"),
        (".pdf", ".pdf", "file.pdf"),
        ("", ".png", "file.png"),
        ("page.html", ".pdf", "page.pdf"),
        ("photo.jpeg", ".jpg", "photo.jpg"),
        ("report", ".pdf", "report.pdf"),
        ('what?<>"|*:.pdf', ".pdf", "what_______.pdf"),
        ("تقرير طبي.pdf", ".pdf", "تقرير طبي.pdf"),
        ("../../etc/passwd", "", "passwd"),
    ],
)
def test_display_name_is_cleaned(raw, extension, expected):
    assert clean_display_name(raw, extension) == expected


def test_display_name_is_at_most_100_characters_with_its_extension():
    name = clean_display_name("x" * 300 + ".pdf", ".pdf")
    assert len(name) == 100 and name.endswith(".pdf")
    assert len(clean_display_name("y" * 300)) == 100


def test_uploaded_path_name_gives_a_clean_display_name():
    checked = check_upload(upload("../../etc/passwd.pdf", make_pdf()))
    assert checked.display_name == "passwd.pdf"
    assert "/" not in checked.display_name and ".." not in checked.display_name


def test_message_names_the_file():
    with translation.override("en"):
        refusal = UploadRefused("too_large", "report.pdf", limit="5")
        assert "report.pdf" in refusal.message()
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload("../report.pdf", b"<html>"))
        assert "report.pdf" in refused.value.message()


@pytest.mark.parametrize("code", sorted(uploads._MESSAGES))
def test_every_code_has_a_message_that_formats(code):
    with translation.override("en"):
        assert UploadRefused(code, "a.pdf", limit="5").message()
