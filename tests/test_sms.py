"""The SMS gateway's backends, chosen by dotted path like Django's e-mail backends.

Only the outbox's delivery task calls them (tests/notifications); here they are called directly.
"""

import io
import json

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from absher.sms import SmsDeliveryError, SmsMessage, SmsRejected, get_backend
from absher.sms.backends import console, file, locmem


def test_locmem_keeps_an_outbox(sms_outbox):
    assert get_backend().send(SmsMessage("+966512345678", "hello")) == "LM1"
    assert sms_outbox == [SmsMessage("+966512345678", "hello")]


def test_locmem_can_simulate_an_outage_and_a_refusal(sms_outbox):
    locmem.fail_next.extend([True, "reject"])
    with pytest.raises(SmsDeliveryError) as outage:
        get_backend().send(SmsMessage("+966512345678", "hello"))
    assert not isinstance(outage.value, SmsRejected)
    with pytest.raises(SmsRejected):
        get_backend().send(SmsMessage("+966512345678", "hello"))
    assert sms_outbox == []


def test_file_backend_appends_json_lines(tmp_path):
    path = tmp_path / "sms.jsonl"
    backend = file.SmsBackend(path=path)
    backend.send(SmsMessage("+966512345678", "رمزك 123456"))
    backend.send(SmsMessage("+966512345679", "second"))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(x["to"], x["body"]) for x in lines] == [("+966512345678", "رمزك 123456"), ("+966512345679", "second")]


def test_console_backend_prints(capsys):
    stream = io.StringIO()
    console.SmsBackend(stream=stream).send(SmsMessage("+966512345678", "hello"))
    assert "+966512345678" in stream.getvalue() and "hello" in stream.getvalue()


def test_backend_is_chosen_by_setting():
    with override_settings(SMS_BACKEND="absher.sms.backends.file.SmsBackend"):
        assert isinstance(get_backend(), file.SmsBackend)


def test_twilio_backend_sends_through_the_sdk_with_a_timeout_and_wraps_its_errors(monkeypatch):
    import requests
    from twilio.base.exceptions import TwilioRestException

    from absher.sms.backends import twilio as twilio_backend

    sent, clients = [], []

    class FakeMessages:
        def create(self, **kwargs):
            if kwargs["to"].endswith("0"):
                raise TwilioRestException(status=400, uri="/Messages", msg="invalid number", code=21211)
            if kwargs["to"].endswith("1"):
                raise TwilioRestException(status=503, uri="/Messages", msg="busy")
            if kwargs["to"].endswith("2"):
                raise requests.exceptions.ReadTimeout("the gateway took too long")
            sent.append(kwargs)
            return type("Result", (), {"sid": "SM123"})()

    class FakeClient:
        def __init__(self, sid, token, http_client=None):
            clients.append(http_client)
            self.messages = FakeMessages()

    monkeypatch.setattr("twilio.rest.Client", FakeClient)
    with override_settings(TWILIO_ACCOUNT_SID="AC1", TWILIO_AUTH_TOKEN="t", TWILIO_FROM_NUMBER="+15005550006",
                           NOTIFY_GATEWAY_TIMEOUT=7.5, NOTIFY_CALLBACK_BASE_URL=""):
        backend = twilio_backend.SmsBackend()
        assert backend.send(SmsMessage("+966512345678", "hi", reference="41")) == "SM123"
        with pytest.raises(SmsRejected):  # an invalid number: never again
            backend.send(SmsMessage("+966512345670", "hi"))
        for to in ("+966512345671", "+966512345672"):  # busy, too slow: later
            with pytest.raises(SmsDeliveryError) as later:
                backend.send(SmsMessage(to, "hi"))
            assert not isinstance(later.value, SmsRejected)
    # Every gateway call is bounded: the SDK's HTTP client carries the timeout.
    assert clients[0].timeout == 7.5
    assert sent == [{"to": "+966512345678", "from_": "+15005550006", "body": "hi"}]
    assert backend.receipts is False


def test_twilio_backend_asks_for_signed_receipts_at_the_public_url(monkeypatch):
    from absher.sms.backends import twilio as twilio_backend

    sent = []

    class FakeClient:
        def __init__(self, sid, token, http_client=None):
            self.messages = type("M", (), {"create": lambda _self, **kw: sent.append(kw) or type("R", (), {"sid": "SM9"})()})()

    monkeypatch.setattr("twilio.rest.Client", FakeClient)
    with override_settings(TWILIO_ACCOUNT_SID="AC1", TWILIO_AUTH_TOKEN="t", TWILIO_FROM_NUMBER="+15005550006",
                           NOTIFY_CALLBACK_BASE_URL="https://absher.example/"):
        backend = twilio_backend.SmsBackend()
        backend.send(SmsMessage("+966512345678", "hi", reference="41"))
    assert backend.receipts is True
    assert sent[0]["status_callback"] == "https://absher.example/notifications/twilio/status/?message=41"


def test_twilio_backend_needs_its_credentials():
    from django.core.exceptions import ImproperlyConfigured

    from absher.sms.backends import twilio as twilio_backend

    with override_settings(TWILIO_ACCOUNT_SID=""), pytest.raises(ImproperlyConfigured):
        twilio_backend.SmsBackend()


def test_a_backend_path_that_does_not_import_fails_the_checks():
    with override_settings(SMS_BACKEND="absher.sms.backends.nothing.SmsBackend"):
        assert "absher.E001" in {e.id for e in run_checks()}


def test_deploy_checks_refuse_development_shortcuts():
    with override_settings(
        CAPTCHA_TEST_MODE=True, DEBUG=False, SMS_BACKEND="absher.sms.backends.console.SmsBackend",
        MALWARE_SCANNER="civil_affairs.scanning.SignatureScanner",
    ):
        ids = {e.id for e in run_checks(include_deployment_checks=True)}
    assert {"absher.E002", "absher.E003", "absher.E004"} <= ids
