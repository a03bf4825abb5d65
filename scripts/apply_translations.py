"""Brings new msgids into locale/ar and fills their Arabic from locale/pending/*.json.

    .venv/bin/python scripts/apply_translations.py [--keep]

Runs `makemessages -l ar` (Django's, so the catalogue has every msgid of the code and templates),
then fills each empty msgstr from the JSON files under locale/pending/ (written by whoever added the
strings: {"msgid": "Arabic", "msgid|||plural": [six forms], "context\\u0004msgid": "Arabic"}),
clears the fuzzy mark of an entry so filled, removes the JSON files (unless --keep), and prints the
msgids still without Arabic: the catalogue's untranslated entries, which a reviewer must see.
"""

import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "ar" / "LC_MESSAGES" / "django.po"
PENDING = ROOT / "locale" / "pending"


def main() -> int:
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "ar", "--no-obsolete", "-i", ".venv",
                    "-i", "node_modules", "-i", "static", "-i", "test-artifacts"], cwd=ROOT, check=True)
    wanted = {}
    files = sorted(PENDING.glob("*.json")) if PENDING.exists() else []
    for path in files:
        wanted.update(json.loads(path.read_text(encoding="utf-8")))
    catalogue = polib.pofile(str(PO))
    filled = 0
    for entry in catalogue:
        key = entry.msgid if not entry.msgid_plural else f"{entry.msgid}|||{entry.msgid_plural}"
        if entry.msgctxt:
            key = f"{entry.msgctxt}\u0004{key}"
        value = wanted.get(key)
        if value is None or (entry.translated() and "fuzzy" not in entry.flags):
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
    # An app's own catalogue (passports/locale) may translate what the project's leaves empty.
    elsewhere = set()
    for other in ROOT.glob("*/locale/ar/LC_MESSAGES/django.po"):
        elsewhere.update(entry.msgid for entry in polib.pofile(str(other)) if entry.translated())
    missing = [entry.msgid for entry in catalogue
               if not entry.translated() and not entry.obsolete and entry.msgid not in elsewhere]
    print(f"filled {filled}; still without Arabic: {len(missing)}")
    for msgid in missing:
        print(f"  {msgid!r}")
    if "--keep" not in sys.argv:
        for path in files:
            path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
