"""The plans of hot queries on big tables, without and with their indexes. Run on demand, never in the suite.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/absher_bench_indexes \\
        .venv/bin/python bench/indexes.py [--persons 1000000] [--audit 1000000]

It migrates the named database (a scratch one: never point it at real data), fills the civil
registry with --persons people (two in five residents, iqama expiries spread over two years, one
in fifty deceased) and the audit trail with --audit rows (once: a second run reuses them), then
prints EXPLAIN (ANALYZE, BUFFERS) of:

1. the daily iqama reminder scan (passports.services.expiry_reminders_send) without the index
   person_living_iqama_expiry (dropped in a transaction that is rolled back) and with it;
2. the staff's audit trail in the admin: the newest page, one action's newest page, the action
   filter's list, and the sizes of the audit table's indexes.
"""

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "absher.settings.dev")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from absher.models import AuditEvent  # noqa: E402
from civil_affairs.models import Person  # noqa: E402
from passports.services import REMINDER_DAYS  # noqa: E402


def fill_registry(count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM civil_affairs_person WHERE national_id LIKE '_9%%'")
        if cursor.fetchone()[0] >= count:
            return
        print(f"filling the registry with {count:,} people ...", flush=True)
        # IDs 19xxxxxxxx / 29xxxxxxxx: apart from anything the seeds hold.
        cursor.execute("""
            INSERT INTO civil_affairs_person (national_id, name_ar, name_en, sex, birth_date, nationality,
                national_id_issued, iqama_expiry, national_id_expiry, status, updated_at)
            SELECT CASE WHEN i %% 5 < 2 THEN '29' ELSE '19' END || lpad(i::text, 8, '0'),
                   'شخص', 'Person', CASE WHEN i %% 2 = 0 THEN 'M' ELSE 'F' END,
                   DATE '1960-01-01' + (i %% 18000), CASE WHEN i %% 5 < 2 THEN 'EG' ELSE 'SA' END,
                   i %% 5 >= 2,
                   CASE WHEN i %% 5 < 2 THEN CURRENT_DATE - 30 + ((i / 5 * 7919::bigint) %% 730)::int END,
                   CASE WHEN i %% 5 >= 2 THEN CURRENT_DATE + ((i::bigint * 7919) %% 3650)::int END,
                   CASE WHEN i %% 50 = 0 THEN 'deceased' ELSE 'living' END, now()
            FROM generate_series(1, %s) AS i
            ON CONFLICT DO NOTHING
        """, [count])
        cursor.execute("ANALYZE civil_affairs_person")


def fill_audit(count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM absher_auditevent")
        if cursor.fetchone()[0] >= count:
            return
        print(f"filling the audit trail with {count:,} rows ...", flush=True)
        # Common actions (codes sent, sign-ins) and a rare one (a staff change), over a year.
        cursor.execute("""
            INSERT INTO absher_auditevent (at, action, subject_id, actor_id, subject_label, client_address, details)
            SELECT now() - (i || ' seconds')::interval * 30,
                   CASE WHEN i %% 1000 = 0 THEN 'staff_access_changed' WHEN i %% 3 = 0 THEN 'otp_sent'
                        WHEN i %% 3 = 1 THEN 'login_succeeded' ELSE 'login_failed' END,
                   i %% 100000, NULL, lpad((i %% 100000)::text, 10, '1'), '192.0.2.1', '{}'::jsonb
            FROM generate_series(1, %s) AS i
        """, [count])
        cursor.execute("ANALYZE absher_auditevent")


def explain(title: str, queryset) -> None:
    print(f"\n--- {title}\n{queryset.explain(analyze=True, buffers=True)}", flush=True)


def iqama_scan(days=REMINDER_DAYS):
    # The query of passports.services.expiry_reminders_send, as it is written there.
    today = timezone.localdate()
    return Person.objects.filter(national_id__startswith="2", iqama_expiry__range=(today, today + timedelta(days=days)),
                                 status=Person.Status.LIVING).select_related("father", "mother")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/indexes.py needs PostgreSQL: set DATABASE_URL to a scratch database")
    call_command("migrate", verbosity=0)
    fill_registry(args.persons)
    fill_audit(args.audit)

    print(f"\n=== 1. the iqama reminder scan over {Person.objects.count():,} people")
    with transaction.atomic():
        connection.cursor().execute("DROP INDEX person_living_iqama_expiry")
        explain("without person_living_iqama_expiry", iqama_scan())
        transaction.set_rollback(True)
    explain("with person_living_iqama_expiry", iqama_scan())
    # The window's rows lie all over the table, a few to a page: one day's slice shows what the
    # index does when the scan asks for fewer rows than the table has pages.
    with transaction.atomic():
        connection.cursor().execute("DROP INDEX person_living_iqama_expiry")
        explain("a single day's slice, without the index", iqama_scan(days=0))
        transaction.set_rollback(True)
    explain("a single day's slice, with the index", iqama_scan(days=0))

    print(f"\n=== 2. the audit trail's admin over {AuditEvent.objects.count():,} rows")
    explain("the newest page", AuditEvent.objects.select_related("actor")[:100])
    explain("one common action's newest page", AuditEvent.objects.filter(action="otp_sent").select_related("actor")[:100])
    explain("one rare action's newest page", AuditEvent.objects.filter(action="staff_access_changed").select_related("actor")[:100])
    explain("the action filter's choices", AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
    with connection.cursor() as cursor:
        cursor.execute("""SELECT indexrelname, pg_size_pretty(pg_relation_size(indexrelid)) FROM pg_stat_user_indexes
                          WHERE relname = 'absher_auditevent' ORDER BY 1""")
        print("\n--- the audit table's indexes\n" + "\n".join(f"{name}: {size}" for name, size in cursor.fetchall()))


if __name__ == "__main__":
    main()
