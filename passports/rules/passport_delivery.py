"""How a new passport reaches its holder: by post to the national address, or collected from a
passports office, which the applicant then names (Absher "Issue / renew a Saudi passport":
"delivery by post to the national address or collection from a passports office").

An office is required exactly when collection is chosen; with delivery by post no office is kept
(a picker hidden by the page may still have sent one).
"""

COLLECTION = "collection"
POST = "post"

OFFICE_REQUIRED = "office_required"


def office_required(delivery: str) -> bool:
    return delivery == COLLECTION


def office_problem(delivery: str, office: str) -> str | None:
    """OFFICE_REQUIRED when collection is chosen without an office, else None."""
    if office_required(delivery) and not (office or "").strip():
        return OFFICE_REQUIRED
    return None


def office_kept(delivery: str, office: str) -> str:
    """The office recorded with the passport: the chosen one for collection, none for the post."""
    return (office or "").strip() if office_required(delivery) else ""
