"""Pictures of attachments for the staff's decision page: an image scaled down, a PDF's first page.

Always a fresh PNG drawn by the server (Pillow; PDFs by pypdfium2, a self-contained wheel, no
system package): the browser never renders the uploaded bytes themselves. A file that cannot be
drawn gives a plain grey picture; the download link next to it still serves the file.
"""

import io

from PIL import Image

from civil_affairs import storage

#: The longest side of a preview, in pixels (the decision page shows it at most this wide).
PREVIEW_SIZE = 900
#: A page of a PDF is drawn at most this many times its size in points (a 1-inch page at 72 dpi is 72 points).
MAX_PDF_SCALE = 2.0


def _placeholder() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (233, 236, 239)).save(buffer, "PNG")
    return buffer.getvalue()


def _png(image: Image.Image) -> bytes:
    image = image.convert("RGB")
    image.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _read(attachment) -> bytes:
    stored = storage.open_stored(attachment.stored_name)
    try:
        return stored.handle.read()
    finally:
        stored.handle.close()


def pdf_first_page(content: bytes) -> Image.Image | None:
    import pypdfium2

    document = pypdfium2.PdfDocument(content)
    try:
        if len(document) == 0:
            return None
        page = document[0]
        width, height = page.get_size()
        scale = min(MAX_PDF_SCALE, PREVIEW_SIZE / max(width, height, 1))
        return page.render(scale=scale).to_pil()
    finally:
        document.close()


def preview_png(attachment) -> bytes:
    try:
        content = _read(attachment)
    except FileNotFoundError:
        return _placeholder()
    try:
        if attachment.content_type == "application/pdf":
            image = pdf_first_page(content)
        elif attachment.content_type in ("image/png", "image/jpeg"):
            image = Image.open(io.BytesIO(content))
            image.load()
        else:
            image = None
    except Exception:  # noqa: BLE001  (a file the checks let through but that cannot be drawn: no preview)
        image = None
    return _png(image) if image is not None else _placeholder()
