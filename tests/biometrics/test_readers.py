"""The reader interface: the simulated reader and each of its errors, the fake, the kiosk agent, libfprint's USB readers."""

import numpy as np
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from biometrics import synthetic
from biometrics.credentials import capture_seal, reader_error_seal
from biometrics.fingerprint import RIGHT_INDEX
from biometrics.images import FingerImage
from biometrics.matching import PoorImage, get_matcher
from biometrics.readers import (
    AGENT_READER,
    Capture,
    DeviceUnplugged,
    NoFinger,
    PoorQuality,
    ReaderError,
    fake,
    get_reader,
)
from biometrics.readers.simulated import SimulatedReader

from .conftest import FAKE, reference_of

ID = "1000000011"


def an_image(seed=1):
    return synthetic.impression(ID, RIGHT_INDEX, np.random.default_rng(seed))


def test_the_simulated_reader_presents_the_chosen_finger():
    reader = get_reader()
    assert isinstance(reader, SimulatedReader) and reader.simulated
    reader.present(national_id=ID, finger=RIGHT_INDEX)
    with reader:
        capture = reader.capture()
    assert not reader.is_open
    assert isinstance(capture.image, FingerImage) and capture.quality == capture.image.quality
    assert get_matcher().verify(reference_of(ID), capture.image).matched  # an image the server matches


def test_captures_vary_from_one_touch_to_the_next(settings):
    settings.FINGERPRINT_SIMULATOR_SEED = None
    reader = get_reader()
    reader.present(national_id=ID)
    with reader:
        first, second = reader.capture(), reader.capture()
    assert first.image.pixels != second.image.pixels


def test_a_seed_makes_captures_repeatable():
    def once():
        reader = get_reader()
        reader.present(national_id=ID)
        with reader:
            return reader.capture()

    from biometrics.readers.simulated import reset_counts

    first, second = once(), once()
    assert first.image.pixels != second.image.pixels  # two touches in a run differ
    reset_counts()
    assert once() == first  # and the run is the same every time


def test_a_simulated_poor_touch_is_a_smudge_the_matcher_refuses():
    reader = get_reader()
    reader.present(national_id=ID, fault="poor_quality")
    with reader:
        capture = reader.capture()
    with pytest.raises(PoorImage):
        get_matcher().verify(reference_of(ID), capture.image)


@pytest.mark.parametrize("fault, error", [("no_finger", NoFinger), ("unplugged", DeviceUnplugged)])
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


def test_a_capture_never_shows_its_pixels_in_its_repr():
    capture = Capture(an_image())
    assert "pixels" not in repr(capture) and repr(capture.image.pixels[:40])[2:-1] not in repr(capture)


def test_the_fake_reader_returns_fixed_captures_and_errors_in_order():
    capture = Capture(an_image())
    fake.outcomes.extend([capture, PoorQuality(30)])
    reader = get_reader(path=FAKE)
    with reader:
        assert reader.capture() == capture
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
    capture = Capture(an_image())
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
    forged = capture_seal(Capture(an_image()), kiosk=other)
    url = reverse("biometrics:kiosk-reader")
    assert client.post(url, {"kiosk": agent.serial, "capture": forged}).status_code == 403
    assert client.post(url, {"kiosk": agent.serial, "capture": "garbage"}).status_code == 403
    assert client.post(url, {"kiosk": "no-such-kiosk", "capture": forged}).status_code == 403
    assert client.get(url).status_code == 405


@pytest.mark.parametrize("serial", ["a\x00b", "k" * 10_000, "K-1\u202e", "K-1\nforged"])
def test_a_junk_kiosk_serial_is_refused_not_a_server_error(client, agent, serial):
    sealed = capture_seal(Capture(an_image()), kiosk=agent)
    assert client.post(reverse("biometrics:kiosk-reader"), {"kiosk": serial, "capture": sealed}).status_code == 403


def test_a_stale_capture_is_not_used(client, agent):
    sealed = capture_seal(Capture(an_image()), kiosk=agent)
    client.post(reverse("biometrics:kiosk-reader"), {"kiosk": agent.serial, "capture": sealed})
    later = timezone.now() + timezone.timedelta(seconds=31)
    with time_machine.travel(later), get_reader(kiosk=agent) as reader, pytest.raises(NoFinger):
        reader.capture()


def test_a_sealed_reader_error_opens_once_too(agent):
    from biometrics.credentials import CaptureRefused, capture_open

    sealed = reader_error_seal("no_finger", kiosk=agent)
    with pytest.raises(NoFinger):
        capture_open(sealed, kiosk=agent)
    with pytest.raises(CaptureRefused):
        capture_open(sealed, kiosk=agent)


# --- a USB reader through libfprint (the reader agent's side; no reader here: the device is a stand-in) ---


class StandInDevice:
    """libfprint's FpDevice as far as the driver uses it; `outcome` is an FpImage stand-in or a GLib.Error."""

    def __init__(self, outcome, driver="uru4000"):
        self.outcome, self.driver, self.calls = outcome, driver, []

    def get_driver(self):
        return self.driver

    def open_sync(self, cancellable):
        self.calls.append("open")

    def capture_sync(self, wait_for_finger, cancellable):
        self.calls.append(("capture", wait_for_finger))
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome

    def close_sync(self, cancellable):
        self.calls.append("close")


class StandInImage:
    def __init__(self, image: FingerImage, ppmm=19.685):
        self.image, self.ppmm = image, ppmm

    def get_width(self):
        return self.image.width

    def get_height(self):
        return self.image.height

    def get_data(self):
        return self.image.pixels

    def get_ppmm(self):
        return self.ppmm


@pytest.fixture
def usb(monkeypatch):
    from biometrics.readers import libfprint

    devices = []
    monkeypatch.setattr(libfprint, "fprint_devices", lambda: devices)
    return devices


def fp_error(kind, code):
    from biometrics.readers.libfprint import fprint_modules

    FPrint, GLib = fprint_modules()
    quark = getattr(FPrint, kind).quark()
    return GLib.Error.new_literal(quark, "from the stand-in device", int(getattr(getattr(FPrint, kind), code)))


LIBFPRINT = "biometrics.readers.libfprint.LibfprintReader"


def test_the_libfprint_reader_hands_over_the_readers_image(usb):
    image = an_image()
    device = StandInDevice(StandInImage(image))
    usb.append(device)
    reader = get_reader(path=LIBFPRINT)
    assert not reader.simulated
    with reader:
        capture = reader.capture()
    assert capture.image == FingerImage(pixels=image.pixels, width=300, height=400, dpi=500)
    assert device.calls == ["open", ("capture", True), "close"]
    assert get_matcher().verify(reference_of(ID), capture.image).matched


@pytest.mark.parametrize(
    "kind, code, error",
    [("DeviceRetry", "TOO_SHORT", PoorQuality), ("DeviceRetry", "CENTER_FINGER", PoorQuality),
     ("DeviceRetry", "REMOVE_FINGER", NoFinger), ("DeviceError", "REMOVED", DeviceUnplugged), ("DeviceError", "PROTO", ReaderError)],
)
def test_libfprints_errors_become_reader_errors(usb, kind, code, error):
    usb.append(StandInDevice(fp_error(kind, code)))
    with get_reader(path=LIBFPRINT) as reader, pytest.raises(error) as caught:
        reader.capture()
    assert type(caught.value) is error


def test_no_usb_reader_or_an_image_out_of_range(usb):
    with pytest.raises(DeviceUnplugged):
        get_reader(path=LIBFPRINT).open()
    usb.append(StandInDevice(StandInImage(an_image()), driver="virtual_image"))
    with pytest.raises(DeviceUnplugged):  # libfprint's test drivers are no reader
        get_reader(path=LIBFPRINT).open()
    usb[:] = [StandInDevice(StandInImage(FingerImage(pixels=bytes(64 * 64), width=64, height=64), ppmm=0.0))]
    with get_reader(path=LIBFPRINT) as reader:
        assert reader.capture().image.dpi == 500  # a driver that does not know its resolution
