"""De-duplication at enrolment: one finger on two ID numbers (issue 13; being written)."""


def activation_held(national_id: str) -> bool:
    """Whether an open duplicate case holds this ID's activation until staff decide it."""
    return False
