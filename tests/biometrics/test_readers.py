"""The reader interface: the simulated reader and each of its errors, the fake, the kiosk agent."""

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from biometrics.credentials import capture_seal, reader_error_seal
from biometrics.fingerprint import RIGHT_INDEX, decode
from biometrics.readers import (
    AGENT_READER,
    Capture,
    DeviceUnplugged,
    NoFinger,
    PoorQuality,
    fake,
    get_reader,
)
from biometrics.readers.simulated import SimulatedReader
from biometrics.simulator import enrolment_template

from .conftest import FAKE

ID = "1000000011"


def test_the_simulated_reader_presents_the_chosen_finger():
    reader = get_reader()
    assert isinstance(reader, SimulatedReader) and reader.simulated
    reader.present(national_id=ID, finger=RIGHT_INDEX)
    with reader:
        capture = reader.capture()
    assert not reader.is_open
    minutiae, quality = decode(capture.template)
    assert capture.quality == quality and len(minutiae) > 5


def test_captures_vary_from_one_touch_to_the_next(settings):
    settings.FINGERPRINT_SIMULATOR_SEED = None
    reader = get_reader()
    reader.present(national_id=ID)
    with reader:
        first, second = reader.capture(), reader.capture()
    assert first.template != second.template


def test_a_seed_makes_captures_repeatable():
    def once():
        reader = get_reader()
        reader.present(national_id=ID)
        with reader:
            return reader.capture()

    assert once() == once()


@pytest.mark.parametrize("fault, error", [("no_finger", NoFinger), ("poor_quality", PoorQuality), ("unplugged", DeviceUnplugged)])
def test_the_simulated_reader_simulates_each_error(fault, error):
    reader = get_reader()
    reader.present(national_id=ID, fault=fault)
    with reader, pytest.raises(error) as caught:
        reader.capture()
    assert caught.value.code == fault


def test_no_finger_presented_and_a_closed_reader():
    reader = get_reader()
    with reader, pytest.raises(NoFinger):
        reader.capture()
    reader.present(national_id=ID)
    with pytest.raises(DeviceUnplugged):
        reader.capture()  # never opened
    with pytest.raises(ValueError):
        reader.present(national_id=ID, finger="tail")
    with pytest.raises(ValueError):
        reader.present(national_id=ID, fault="fire")


def test_a_capture_never_shows_its_template_in_its_repr():
    capture = Capture(template=enrolment_template(ID), quality=90)
    assert "FPT1" not in repr(capture) and "template" not in repr(capture)


def test_the_fake_reader_returns_fixed_templates_and_errors_in_order():
    template = enrolment_template(ID)
    fake.outcomes.extend([Capture(template, 88), PoorQuality(30)])
    reader = get_reader(path=FAKE)
    with reader:
        assert reader.capture() == Capture(template, 88)
        with pytest.raises(PoorQuality):
            reader.capture()
        with pytest.raises(NoFinger):
            reader.capture()  # nothing left on the glass
    assert fake.log == ["open", "capture", "capture", "capture", "close"]


# --- the kiosk's reader agent (a real reader on the kiosk side) -------------------------------


@pytest.fixture
def agent(settings, kiosk):
    settings.FINGERPRINT_READER = AGENT_READER
    return kiosk


def test_the_agent_posts_a_sealed_capture_that_the_kiosk_uses_once(client, agent):
    capture = Capture(enrolment_template(ID), 91)
    response = client.post(reverse("biometrics:kiosk-reader"), {"kiosk": agent.serial, "capture": capture_seal(capture, kiosk=agent)})
    assert response.status_code == 204
    reader = get_reader(kiosk=agent)
    assert not reader.simulated
    with reader:
        assert reader.capture() == capture
        with pytest.raises(NoFinger):
            reader.capture()


def test_the_agent_reports_reader_errors_sealed(client, agent):
    client.post(reverse("biometrics:kiosk-reader"), {"kiosk": agent.serial, "capture": reader_error_seal("unplugged", kiosk=agent)})
    with get_reader(kiosk=agent) as reader, pytest.raises(DeviceUnplugged):
        reader.capture()


def test_a_capture_without_the_kiosks_seal_is_refused(client, agent, kiosk_factory, provision):
    other = provision(kiosk_factory())
    forged = capture_seal(Capture(enrolment_template(ID), 91), kiosk=other)
    url = reverse("biometrics:kiosk-reader")
    assert client.post(url, {"kiosk": agent.serial, "capture": forged}).status_code == 403
    assert client.post(url, {"kiosk": agent.serial, "capture": "garbage"}).status_code == 403
    assert client.post(url, {"kiosk": "no-such-kiosk", "capture": forged}).status_code == 403
    assert client.get(url).status_code == 405


@pytest.mark.parametrize("serial", ["a\x00b", "k" * 10_000, "K-1\u202e", "K-1\nforged"])
def test_a_junk_kiosk_serial_is_refused_not_a_server_error(client, agent, serial):
    sealed = capture_seal(Capture(enrolment_template(ID), 91), kiosk=agent)
    assert client.post(reverse("biometrics:kiosk-reader"), {"kiosk": serial, "capture": sealed}).status_code == 403


def test_a_stale_capture_is_not_used(client, agent):
    sealed = capture_seal(Capture(enrolment_template(ID), 91), kiosk=agent)
    client.post(reverse("biometrics:kiosk-reader"), {"kiosk": agent.serial, "capture": sealed})
    later = timezone.now() + timezone.timedelta(seconds=31)
    with time_machine.travel(later), get_reader(kiosk=agent) as reader, pytest.raises(NoFinger):
        reader.capture()
