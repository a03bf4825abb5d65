"""Documents anyone can verify: receipts and decisions carry a QR code whose URL is signed.

The URL of the public verification page carries the document's signed fields (kind, reference and a
few values such as the amount and the date) and an Ed25519 signature of them (`signing`). The page
checks the signature, then reads the document again from the database (`documents.KINDS`, each kind's
loader lives in its app) and compares the signed fields: a forged, altered or truncated code, or a
document changed since it was issued, is refused with a page that says so. It shows only the rows the
document itself shows publicly (a name, a masked ID number, the amount), never more.
"""
