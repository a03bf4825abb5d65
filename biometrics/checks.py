"""System checks of the fingerprint drivers and the template key."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string

from .matching import DEFAULT_MATCHER, matcher_chosen, matcher_path
from .readers import reader_path


@register()
def check_fingerprint_drivers(app_configs, **kwargs):
    errors = []
    paths = {"FINGERPRINT_READER": reader_path(), "FINGERPRINT_MATCHER": matcher_path()}
    for name, path in paths.items():
        try:
            import_string(path)
        except ImportError as exc:
            errors.append(Error(f"{name} = {path!r} does not import: {exc}", id="biometrics.E001"))
    try:
        simulated = getattr(import_string(paths["FINGERPRINT_READER"]), "simulated", False)
    except ImportError:
        simulated = False
    if simulated and not settings.DEBUG and not getattr(settings, "FINGERPRINT_SIMULATOR_ALLOWED", False):
        errors.append(
            Error(
                "the simulated fingerprint reader can present anyone's finger: it runs only with DEBUG on, "
                "or in a demo with FINGERPRINT_SIMULATOR_ALLOWED = True",
                hint="Set FINGERPRINT_READER to a real reader, e.g. biometrics.readers.agent.KioskAgentReader.",
                id="biometrics.E002",
            )
        )
    key = getattr(settings, "FINGERPRINT_KEY", "") or ""
    if key:
        from cryptography.fernet import Fernet

        for part in (k.strip() for k in key.split(",")):
            try:
                Fernet(part)
            except ValueError:
                errors.append(Error("FINGERPRINT_KEY is not a Fernet key (32 url-safe base64-encoded bytes)", id="biometrics.E004"))
                break
    return errors


@register(Tags.security, deploy=True)
def check_fingerprint_key_in_deployment(app_configs, **kwargs):
    if not getattr(settings, "FINGERPRINT_KEY", ""):
        return [
            Error(
                "FINGERPRINT_KEY is not set: the registry's reference fingerprints would be encrypted with a key "
                "derived from SECRET_KEY",
                hint="Generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
                id="biometrics.E003",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_fingerprint_matcher_chosen(app_configs, **kwargs):
    """The hand-written matcher is measured only on simulated fingers (docs/biometrics.md): a
    deployment does not fall back to it; it names its matcher, that one or a vetted one."""
    if matcher_chosen() is None:
        return [
            Error(
                f"FINGERPRINT_MATCHER is not set: the default, {DEFAULT_MATCHER}, is a hand-written matcher whose "
                "accuracy was measured only on simulated fingerprints, never on real ones",
                hint="Set FINGERPRINT_MATCHER to a matcher measured on real fingerprints (a vendor's or NBIS), "
                f"or to {DEFAULT_MATCHER} to accept it knowingly.",
                id="biometrics.E005",
            )
        ]
    return []
