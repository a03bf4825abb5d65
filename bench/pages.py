"""Speed benchmarks of the citizen pages and the queues (QUALITY.md, "Speed"). Run on demand;
never part of the test suite. Figures are ratios measured in one run, so the machine's speed
cancels out.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/absher_bench \\
        .venv/bin/python bench/pages.py [--big 1000000] [--repeat 30]

It migrates the named database, fills it, and prints:
1. each citizen page's median time over a template view through the test client (an indication
   only: that view already pays for the middleware and the session; the QUALITY figure, against a
   bare Django page under gunicorn, is bench/pages_http.py's);
2. SQL queries per page with 1 and with 1,000 requests behind it (target <= 8, and equal);
3. the citizen's inbox and the staff queue with `--big` requests in the table over their time
   with 1,000 (target <= 1.3).
The database is emptied of requests at the start: never point it at real data.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "absher.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path, reverse  # noqa: E402

BARE = engines["django"].from_string("{% extends 'base.html' %}{% block content %}<p>bare</p>{% endblock %}")


def bare_view(request):
    return HttpResponse(BARE.render({}, request))


urlpatterns = [path("bench-bare/", bare_view), path("", include("absher.urls"))]


def median_ms(client, url, repeat):
    client.get(url)  # warm caches and the session
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def queries(client, url):
    settings.DEBUG = True
    reset_queries()
    client.get(url)
    count = len(connection.queries)
    settings.DEBUG = False
    return count


def fill_requests(total, applicants, request_type, batch=20_000):
    from civil_affairs.models import RequestStatus, ServiceRequest

    statuses = [RequestStatus.APPROVED] * 17 + [RequestStatus.REJECTED, RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW]
    made = ServiceRequest.objects.count()
    while made < total:
        size = min(batch, total - made)
        ServiceRequest.objects.bulk_create(
            ServiceRequest(
                reference=f"BN-2026-{made + i:010d}", request_type=request_type, department=request_type.department,
                applicant=applicants[(made + i) % len(applicants)], description="bench",
                status=statuses[(made + i) % len(statuses)], submission_key=uuid.uuid4(),
            )
            for i in range(size)
        )
        made += size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    from accounts.models import AccountState, User
    from civil_affairs.identity import luhn_check_digit
    from civil_affairs.models import Person, RequestType, ServiceRequest
    from civil_affairs.services import request_submit

    call_command("migrate", verbosity=0)
    ServiceRequest.objects.all().delete()

    def person(serial):
        nine = f"1{serial:08d}"
        national_id = nine + luhn_check_digit(nine)
        return Person.objects.update_or_create(
            national_id=national_id,
            defaults={"name_ar": "مقياس", "name_en": "Bench", "sex": "M", "birth_date": "1980-01-01",
                      "nationality": "SA", "national_id_issued": True},
        )[0]

    def account(username, serial, **extra):
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"person": person(serial), "mobile": f"+9665{serial:08d}", "state": AccountState.ACTIVE, **extra},
        )
        return user

    citizen = account("BenchCitizen1", 90_000_001)
    staff = account("BenchStaff1", 90_000_002, is_staff=True, is_superuser=True)
    others = [account(f"BenchOther{i}x", 90_000_100 + i) for i in range(50)]
    inquiry = RequestType.objects.get(code="general_inquiry")

    with override_settings(ROOT_URLCONF=__name__):
        client = Client()
        client.force_login(citizen)
        mine = request_submit(applicant=citizen, request_type=inquiry, data={}, description="mine",
                              submission_key=uuid.uuid4())
        pages = {
            "home": reverse("home"), "profile": reverse("accounts:profile"),
            "civil affairs": reverse("civil_affairs:home"), "my requests": reverse("civil_affairs:request-list"),
            "request": reverse("civil_affairs:request-detail", args=[mine.reference]),
            "new request": reverse("civil_affairs:request-new", args=["add_dependent"]),
            "my dependents": reverse("dependents:dependent-list"), "contact": reverse("contact"),
        }
        bare = median_ms(client, "/bench-bare/", args.repeat)
        print(f"1. page time over a bare template view ({bare:.2f} ms), target <= 2")
        for name, url in pages.items():
            print(f"   {name:15s} {median_ms(client, url, args.repeat) / bare:5.2f}")

        print("2. SQL queries per page with 1 and 1,000 requests (target <= 8 and equal)")
        with_one = {name: queries(client, url) for name, url in pages.items()}
        for i in range(999):
            ServiceRequest.objects.create(
                reference=f"BM-2026-{i:08d}", request_type=inquiry, department=inquiry.department, applicant=citizen,
                description="bench", submission_key=uuid.uuid4(),
            )
        for name, url in pages.items():
            print(f"   {name:15s} {with_one[name]:3d} {queries(client, url):3d}")

        staff_client = Client()
        staff_client.force_login(staff)
        queue = reverse("admin:civil_affairs_servicerequest_changelist")
        inbox = reverse("civil_affairs:request-list")
        fill_requests(1_000 + 1_000, others, inquiry)
        small = (median_ms(client, inbox, args.repeat), median_ms(staff_client, queue, args.repeat))
        fill_requests(args.big + 1_000, others, inquiry)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE civil_affairs_servicerequest")
        big = (median_ms(client, inbox, args.repeat), median_ms(staff_client, queue, args.repeat))
        print(f"3. with {args.big:,} requests over 1,000 (target <= 1.3)")
        print(f"   citizen inbox  {big[0] / small[0]:5.2f}  ({small[0]:.1f} ms -> {big[0]:.1f} ms)")
        print(f"   staff queue    {big[1] / small[1]:5.2f}  ({small[1]:.1f} ms -> {big[1]:.1f} ms)")


if __name__ == "__main__":
    main()
