"""Compiles the project's gettext catalogues (.po -> .mo) when they are missing or stale, so that
`pytest` alone passes on a fresh clone, with or without Debian's gettext installed."""

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "node_modules", ".git"}


def catalogues(root: Path = ROOT):
    for po in sorted(root.rglob("*.po")):
        if not SKIP.intersection(po.relative_to(root).parts):
            yield po


def compile_stale(root: Path = ROOT) -> list[Path]:
    """Writes the .mo beside every .po that is newer than it (fuzzy entries left out, as msgfmt does)."""
    written = []
    for po in catalogues(root):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            polib.pofile(str(po)).save_as_mofile(str(mo))
            written.append(mo)
    return written


def compile_stale_and_reload(root: Path = ROOT) -> list[Path]:
    """compile_stale(), then drop the translations Django already loaded without those catalogues:
    django.setup() (pytest-django runs it before this project's conftest) may have read a language
    whose .mo did not exist yet, and Django keeps a loaded language for the life of the process."""
    written = compile_stale(root)
    if written:
        # What Django itself does when a test changes LOCALE_PATHS (django.test.signals.language_changed).
        from django.conf import settings
        from django.core.signals import setting_changed
        from django.test import signals  # noqa: F401 - connects the receivers

        setting_changed.send(sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=True)
    return written
