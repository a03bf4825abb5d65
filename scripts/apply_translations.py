"""Brings new msgids into the Arabic catalogues and fills their Arabic.

    .venv/bin/python scripts/apply_translations.py [--keep]

1. Reads every translation the catalogues already hold (locale/ar and each app's <app>/locale/ar):
   a msgid that moves between them (a string moved from an app's code to a template) keeps its Arabic.
2. Runs Django's `makemessages -l ar`, so each catalogue has every msgid of its code and templates.
3. Fills each empty or fuzzy entry, in every catalogue, from locale/pending/*.json (written by whoever
   added the strings: {"msgid": "Arabic", "msgid|||plural": [six forms], "context\\u0004msgid": "Arabic"})
   or else from step 1, and clears the fuzzy mark of an entry so filled (makemessages' guesses are
   never kept: a fuzzy entry is not compiled, and its guess is another string's translation).
4. Removes the JSON files (unless --keep) and prints the msgids still without Arabic.
"""

import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PENDING = ROOT / "locale" / "pending"


def catalogues() -> list[Path]:
    return [ROOT / "locale" / "ar" / "LC_MESSAGES" / "django.po", *sorted(ROOT.glob("*/locale/ar/LC_MESSAGES/django.po"))]


def key_of(entry) -> str:
    key = entry.msgid if not entry.msgid_plural else f"{entry.msgid}|||{entry.msgid_plural}"
    return f"{entry.msgctxt}\u0004{key}" if entry.msgctxt else key


def value_of(entry):
    return [entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural)] if entry.msgid_plural else entry.msgstr


def known_translations() -> dict:
    known = {}
    for path in catalogues():
        for entry in polib.pofile(str(path)):
            if entry.translated() and "fuzzy" not in entry.flags and not entry.obsolete:
                known.setdefault(key_of(entry), value_of(entry))
    return known


def main() -> int:
    known = known_translations()
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "ar", "--no-obsolete", "-i", ".venv",
                    "-i", "node_modules", "-i", "static", "-i", "test-artifacts"], cwd=ROOT, check=True)
    files = sorted(PENDING.glob("*.json")) if PENDING.exists() else []
    wanted = dict(known)
    for path in files:
        wanted.update(json.loads(path.read_text(encoding="utf-8")))
    filled, missing = 0, []
    for path in catalogues():
        catalogue = polib.pofile(str(path))
        for entry in catalogue:
            if entry.obsolete or (entry.translated() and "fuzzy" not in entry.flags):
                continue
            value = wanted.get(key_of(entry))
            if value is None:
                missing.append(entry.msgid)
                continue
            if entry.msgid_plural:
                entry.msgstr_plural = dict(enumerate(value))
            else:
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
            filled += 1
        catalogue.save()
    print(f"filled {filled}; still without Arabic: {len(missing)}")
    for msgid in missing:
        print(f"  {msgid!r}")
    if "--keep" not in sys.argv:
        for path in files:
            path.unlink()
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
