"""System checks of the fingerprint drivers, the template key and the matcher's engine."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register  # noqa: A004 - Django's check level
from django.utils.module_loading import import_string

from .matching import get_matcher, matcher_path
from .readers import reader_path


@register()
def check_fingerprint_drivers(app_configs, **kwargs):
    errors = []
    from .abis.base import abis_path

    paths = {"FINGERPRINT_READER": reader_path(), "FINGERPRINT_MATCHER": matcher_path(), "FINGERPRINT_ABIS": abis_path()}
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


@register(deploy=True)
def check_fingerprint_engine(app_configs, **kwargs):
    """The configured matcher's engine starts here (libfprint installed): else every match is refused as unavailable."""
    try:
        matcher = get_matcher()
    except ImportError:
        return []  # biometrics.E001 says so
    if getattr(matcher, "engine_version", "x") == "":
        return [
            Warning(
                f"the fingerprint matcher {matcher_path()} cannot start its engine: every kiosk match will be refused "
                "as unavailable",
                hint="Install libfprint (Debian: gir1.2-fprint-2.0, libfprint-2-2) and python3-gi for the application's Python.",
                id="biometrics.W006",
            )
        ]
    return []
