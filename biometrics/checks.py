"""System checks of the fingerprint drivers and the template key."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string

from .matching import DEFAULT_MATCHER
from .readers import reader_path


@register()
def check_fingerprint_drivers(app_configs, **kwargs):
    errors = []
    paths = {"FINGERPRINT_READER": reader_path(), "FINGERPRINT_MATCHER": getattr(settings, "FINGERPRINT_MATCHER", DEFAULT_MATCHER)}
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
