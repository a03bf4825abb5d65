"""The shapes of the identifiers that the portal's URLs carry, as path converters (QUALITY 27).

A URL takes exactly its identifier's shape: anything else (a NUL byte, 10,000 characters, a
right-to-left override, `../`, another digit set) does not resolve, so it answers 404 and never
reaches a view or the database. Each converter hands the view the same value as the `str:` or
`int:` converter it replaces (a str, or an int for a row id), so views and `reverse()` are
unchanged.

The shapes are those of the code that makes the identifiers (`tests/test_urls_junk.py` checks
each generator against its converter):

- `nid`: an ID or iqama number, `civil_affairs.models.Person.national_id` (its database
  constraint: 1 for a citizen or 2 for a resident, then nine digits);
- `request_ref`: a request's reference, `civil_affairs.services.reference_for`
  (`CA-2026-000014`: the department's two letters, the year, the row id on at least six digits);
- `request_type`: a request type's code, a `SlugField(max_length=50)`;
- `visa`, `permit`: `passports.services.new_visa_number` / `new_permit_number` (6 or 7, then nine
  digits);
- `fine`: `passports.services.new_fine_reference` (F and nine digits);
- `bill`: `passports.billing.bill_number` (a SADAD-style number: twelve digits, no leading zero);
- `receipt`: a receipt's reference, `passports.services._reference("PR", ...)` (`PR-2026-000014`);
- `id`: a row id (`BigAutoField`: at most 19 digits, no leading zero), given to the view as an int.

The converters are registered once, when this module is first imported (every `urls.py` that
uses them imports it).
"""

from django.urls import register_converter

# A reference's row id, zero-padded to six digits: at most twelve, for the reference to fit the
# 20 characters of its field (`CA-2026-` is eight).
_ROW_ID = "[0-9]{6,12}"


class _Shape:
    """A string identifier of a fixed shape; the view gets the string as it is."""

    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


class NationalIdConverter(_Shape):
    regex = "[12][0-9]{9}"


class RequestReferenceConverter(_Shape):
    regex = "[A-Z]{2}-[0-9]{4}-" + _ROW_ID


class RequestTypeConverter(_Shape):
    regex = "[-a-zA-Z0-9_]{1,50}"


class VisaNumberConverter(_Shape):
    regex = "6[0-9]{9}"


class PermitNumberConverter(_Shape):
    regex = "7[0-9]{9}"


class FineReferenceConverter(_Shape):
    regex = "F[0-9]{9}"


class BillNumberConverter(_Shape):
    regex = "[1-9][0-9]{11}"


class ReceiptReferenceConverter(_Shape):
    regex = "PR-[0-9]{4}-" + _ROW_ID


class RowIdConverter:
    """A row id, given to the view as an int (as `int:` does), never past a bigint's digits."""

    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


#: {name in a route: converter}, e.g. `path("people/<nid:national_id>/", ...)`.
REGISTERED = {
    "nid": NationalIdConverter,
    "request_ref": RequestReferenceConverter,
    "request_type": RequestTypeConverter,
    "visa": VisaNumberConverter,
    "permit": PermitNumberConverter,
    "fine": FineReferenceConverter,
    "bill": BillNumberConverter,
    "receipt": ReceiptReferenceConverter,
    "id": RowIdConverter,
}

for _name, _converter in REGISTERED.items():
    register_converter(_converter, _name)
