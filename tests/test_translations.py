"""Every entry of the Arabic catalogues has its Arabic (QUALITY: Arabic is the default and complete).

An empty msgstr shows the English; a fuzzy one is left out of the compiled catalogue and shows the
English too. New strings get their Arabic through scripts/apply_translations.py."""

import polib
import pytest

from .catalogues import catalogues


@pytest.mark.parametrize("po", list(catalogues()), ids=str)
def test_every_entry_has_its_arabic(po):
    catalogue = polib.pofile(str(po))
    untranslated = [entry.msgid for entry in catalogue if not entry.obsolete and not entry.translated()]
    fuzzy = [entry.msgid for entry in catalogue if not entry.obsolete and "fuzzy" in entry.flags]
    assert (untranslated, fuzzy) == ([], [])


@pytest.mark.parametrize("po", list(catalogues()), ids=str)
def test_placeholders_survive_translation(po):
    """A translation keeps the named placeholders of its msgid (else a page raises KeyError)."""
    import re

    named = re.compile(r"%\((\w+)\)[sd]")
    wrong = []
    for entry in polib.pofile(str(po)):
        if entry.obsolete or not entry.translated():
            continue
        wanted = set(named.findall(entry.msgid))
        found = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for text in found:
            if not set(named.findall(text)) <= wanted | set(named.findall(entry.msgid_plural or "")):
                wrong.append(entry.msgid)
    assert wrong == []
