"""The audit trail's one writer. Call it inside the transaction of the change it records."""

from .models import AuditEvent

FORBIDDEN_DETAIL_KEYS = {"password", "code", "otp", "token", "secret", "template", "fingerprint"}


def audit_record(*, action: str, actor=None, subject=None, subject_label: str = "", client_address=None, **details):
    leaked = FORBIDDEN_DETAIL_KEYS & {k.lower() for k in details}
    if leaked:
        raise ValueError(f"secrets never go into the audit trail: {sorted(leaked)}")
    if subject is not None and not subject_label:
        subject_label = subject.get_username()
    return AuditEvent.objects.create(
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        subject=subject,
        subject_label=subject_label[:64],
        client_address=client_address or None,
        details=details,
    )
