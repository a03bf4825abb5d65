"""Issue 11: a notice in the portal reads without the SMS's "Absher:" prefix (the SMS keeps it), and
its numbers, references and amounts are isolated left to right."""

import pytest
from django.utils import translation

from absher.notifications import texts
from absher.notifications.services import notify

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Absher: bill B-1 of SAR 300 is paid.", "Bill B-1 of SAR 300 is paid."),
        ("أبشر: سُدِّدت الفاتورة B-1.", "سُدِّدت الفاتورة B-1."),
        ("  Absher:your code", "Your code"),
        ("a new message", "a new message"),
        ("Absher", "Absher"),
        ("Bill Absher: x", "Bill Absher: x"),
        ("", ""),
    ],
)
def test_without_sms_prefix(text, expected):
    assert texts.without_sms_prefix(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bill PR-2026-000001 of SAR 1,300.00 is paid.",
         'Bill <bdi dir="ltr">PR-2026-000001</bdi> of SAR <bdi dir="ltr">1,300.00</bdi> is paid.'),
        ("الرقم 05•••••678، الآن", 'الرقم <bdi dir="ltr">05•••••678</bdi>، الآن'),
        ("no numbers <b>here</b>", "no numbers &lt;b&gt;here&lt;/b&gt;"),
        ("x&#27;9", 'x&amp;#<bdi dir="ltr">27</bdi>;<bdi dir="ltr">9</bdi>'),
        ("+966 11", '<bdi dir="ltr">+966</bdi> <bdi dir="ltr">11</bdi>'),
    ],
)
def test_isolate_values(text, expected):
    assert str(texts.isolate_values(text)) == expected


@pytest.mark.parametrize("language", ["ar", "en"])
def test_a_notice_drops_the_prefix_its_sms_keeps(user_factory, sms_outbox, committed, language):
    user = user_factory(preferred_language=language)
    with committed():
        notice = notify(user=user, source="passports", kind="paid", params={"bill": "B-2026-000123", "amount": "300"})
    prefix = "أبشر:" if language == "ar" else "Absher:"
    assert sms_outbox[-1].body.startswith(prefix)
    with translation.override(language):
        assert not notice.text.startswith(prefix) and "B-2026-000123" in notice.text
        assert '<bdi dir="ltr">B-2026-000123</bdi>' in notice.html
