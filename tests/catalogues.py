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
