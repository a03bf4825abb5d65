"""Issue 11: the public centres page says whether a citizen can use a centre's kiosks (not their
heartbeat), its hours, its phone (left to right) and a plain link to a map."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from biometrics import selectors
from biometrics.management.commands.load_demo_kiosks import DEMO_KIOSKS
from biometrics.models import Kiosk

pytestmark = pytest.mark.django_db


def test_a_kiosk_is_available_whatever_its_heartbeat_until_staff_take_it_out_of_service(kiosk_factory):
    silent = kiosk_factory(last_heartbeat_at=None)
    stale = kiosk_factory(last_heartbeat_at=timezone.now() - timezone.timedelta(days=3))
    out = kiosk_factory(in_service=False, last_heartbeat_at=timezone.now())
    assert silent.status() == "offline" and stale.status() == "offline"  # the operators' view is unchanged
    assert selectors.kiosk_available(silent) and selectors.kiosk_available(stale)
    assert not selectors.kiosk_available(out)


@pytest.mark.parametrize(
    ("latitude", "longitude", "query", "expected"),
    [
        (Decimal("24.66600"), Decimal("46.73370"), "x",
         "https://www.openstreetmap.org/?mlat=24.66600&mlon=46.73370#map=17/24.66600/46.73370"),
        (Decimal("-1.5"), Decimal("0"), "", "https://www.openstreetmap.org/?mlat=-1.5&mlon=0#map=17/-1.5/0"),
        (None, Decimal("46.7"), "Al Malaz district, Riyadh",
         "https://www.openstreetmap.org/search?query=Al+Malaz+district%2C+Riyadh"),
        (None, None, "", ""),
    ],
)
def test_map_url(latitude, longitude, query, expected):
    assert selectors.map_url(latitude=latitude, longitude=longitude, query=query) == expected


@pytest.mark.parametrize(("phone", "dial"), [("011 000 0101", "0110000101"), ("+966 11 461 8666", "+966114618666"), ("", "")])
def test_phone_dial(phone, dial):
    assert selectors.phone_dial(phone) == dial


def test_kiosks_at_one_site_make_one_centre(kiosk_factory):
    site = {"site_name_en": "Riyadh Park mall", "site_name_ar": "الرياض بارك", "address_en": "King Abdulaziz Road"}
    kiosk_factory(serial="KSK-A-1", phone="011 000 0102", latitude=Decimal("24.756"), longitude=Decimal("46.63"), **site)
    kiosk_factory(serial="KSK-A-2", in_service=False, **site)
    kiosk_factory(serial="KSK-B-1", in_service=False, site_name_en="Broken office")
    kiosk_factory(serial="KSK-M-1", region="makkah")
    centres = {centre.serials: centre for centre in selectors.centres_in_region("riyadh", language="ar")}
    assert set(centres) == {("KSK-A-1", "KSK-A-2"), ("KSK-B-1",)}
    mall = centres["KSK-A-1", "KSK-A-2"]
    assert (mall.name, mall.status, mall.available, mall.total) == ("الرياض بارك", "available", 1, 2)
    assert mall.phone == "011 000 0102" and mall.phone_dial == "0110000102"
    assert mall.map_url.startswith("https://www.openstreetmap.org/?mlat=24.756")
    broken = centres["KSK-B-1",]
    assert broken.status == "out_of_service" and broken.phone == "" and "search?query=" in broken.map_url


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_centres_page_shows_availability_hours_phone_and_map(client, kiosk_factory, language):
    kiosk_factory(region="makkah", site_name_en="Jeddah office", phone="012 000 0201",
                  latitude=Decimal("21.556"), longitude=Decimal("39.153"), last_heartbeat_at=None)
    kiosk_factory(region="makkah", site_name_en="Makkah office", in_service=False)
    client.cookies["absher_language"] = language
    body = client.get(reverse("biometrics:centre-list"), {"region": "makkah"}).content.decode()
    assert 'data-status="available"' in body and 'data-status="out_of_service"' in body
    assert 'data-status="offline"' not in body and 'data-status="online"' not in body
    assert '<a class="centre-phone ltr-value" href="tel:0120000201" dir="ltr">012 000 0201</a>' in body
    assert 'href="https://www.openstreetmap.org/?mlat=21.55600&amp;mlon=39.15300#map=17/21.55600/39.15300"' in body
    assert "Sunday to Thursday" in body if language == "en" else "الأحد إلى الخميس" in body
    assert "<script" not in body.split("<main", 1)[1]  # no map script of a third party


def test_the_demo_kiosks_have_a_phone_and_a_place_and_old_ones_get_them(capsys):
    call_command("load_demo_data")
    call_command("load_demo_kiosks")
    assert Kiosk.objects.count() == len(DEMO_KIOSKS)
    assert not Kiosk.objects.filter(phone="").exists() and not Kiosk.objects.filter(latitude=None).exists()
    # A demo kiosk loaded before these fields existed gets them; a phone set by staff stays.
    Kiosk.objects.filter(serial="KSK-RUH-001").update(phone="", latitude=None, longitude=None)
    Kiosk.objects.filter(serial="KSK-RUH-002").update(phone="011 999 9999")
    call_command("load_demo_kiosks")
    first = Kiosk.objects.get(serial="KSK-RUH-001")
    assert first.phone == "011 000 0101" and first.latitude == Decimal("24.66600")
    assert Kiosk.objects.get(serial="KSK-RUH-002").phone == "011 999 9999"
