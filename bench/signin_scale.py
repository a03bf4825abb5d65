"""Sign-in at a million accounts (issue 10). Run on demand, never part of the test suite.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/signin_scale.py [--users 1000000] [--samples 20] [--threads 64] [--rounds 2] [--keep]

DATABASE_URL names the PostgreSQL server (its database is only used to connect): the bench creates
its own scratch database there, absher_bench_signin (--database), drops it first if it exists and
again at the end (unless --keep), migrates it, and fills it in SQL (INSERT ... SELECT
generate_series) with --users registry people and an account each, all with one Argon2 password
hash. Settings: bench/signin_scale_settings.py (the production hasher, the code caps lifted). It
prints:

1. EXPLAIN (ANALYZE) of the sign-in lookup (accounts.selectors.user_by_identifier) by an ID number
   and by a username, and of the pending-registration lookup an unknown identifier costs; then
   the lookup's median time. The OR query it replaced is explained too, for comparison.
2. The password step: login_begin through the service (right password, wrong password, unknown
   identifier) over one check_password of the same Argon2 hash, median of --samples each
   (target <= 1.2).
3. --threads concurrent sign-ins (right passwords, each thread its own account and its own
   database connection, --rounds each) from ONE client address over the same from as many
   addresses: the ratio of their rates (target >= 0.8). Rounds alternate (ABBA), so drift cancels out.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "Bench2026pass"


def server_connection(url: str):
    parts = urlsplit(url)
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    return connection


def recreate(url: str, name: str, *, drop_only: bool = False) -> str:
    connection = server_connection(url)  # no `with`: psycopg2 would open a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not drop_only:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def fill(users: int, password_hash: str) -> None:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # People: ID numbers 1000000000 + i; a 256-byte stand-in for the encrypted fingerprint
        # template, which sign-in must never read.
        cursor.execute(
            """
            INSERT INTO civil_affairs_person
                (national_id, name_ar, name_en, sex, birth_date, nationality, national_id_issued, status,
                 updated_at, fingerprint_reference)
            SELECT (1000000000 + i)::text, 'مواطن ' || i, 'Citizen ' || i, CASE WHEN i %% 2 = 0 THEN 'M' ELSE 'F' END,
                   DATE '1960-01-01' + (i %% 15000), 'SA', true, 'living', now(),
                   decode(repeat(md5(i::text), 16), 'hex')
            FROM generate_series(1, %s) AS i
            """,
            [users],
        )
        cursor.execute(
            """
            INSERT INTO accounts_user
                (password, is_superuser, first_name, last_name, email, is_staff, is_active, date_joined,
                 username, mobile, preferred_language, state, state_before_suspension, terms_version,
                 activation_method, person_id)
            SELECT %s, false, '', '', 'user' || p.id || '@example.com', false, true, now(),
                   'Citizen' || p.id || 'x', '+9665' || lpad(p.id::text, 8, '0'), 'ar', 'active', '', '1',
                   'in_person', p.id
            FROM civil_affairs_person p
            """,
            [password_hash],
        )
        cursor.execute("ANALYZE civil_affairs_person")
        cursor.execute("ANALYZE accounts_user")
    print(f"filled {users:,} people and accounts in {time.perf_counter() - started:.1f} s")


def explain(title: str, queryset) -> None:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    print(f"\n-- {title}")
    for line in lines:
        print("   " + line)


def median_ms(function, samples: int) -> float:
    times = []
    for n in range(samples):
        started = time.perf_counter()
        function(n)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def lookups(users: int, samples: int) -> None:
    from django.db.models import Q
    from django.db.models.functions import Lower

    from accounts import selectors

    print("\n1. The sign-in lookup")
    national_id, username = str(1000000000 + users // 2), f"citizen{users // 3}X"
    explain(f"by ID number {national_id}", selectors._signing_in(selectors.accounts().filter(person__national_id=national_id))[:1])
    explain(
        f"by username {username}",
        selectors._signing_in(selectors.accounts().annotate(username_lower=Lower("username")).filter(username_lower=username.lower()))[:1],
    )
    explain(
        "an unknown username's pending registrations",
        selectors.pending_registrations().annotate(username_lower=Lower("username")).filter(username_lower="nobody2026x")
        .order_by("-date_joined", "-pk")[:3],
    )
    explain(
        "before: username OR ID number, in one query (for comparison)",
        selectors.accounts().annotate(username_lower=Lower("username")).select_related("person")
        .filter(Q(username_lower=national_id) | Q(person__national_id=national_id))[:1],
    )
    by_id = median_ms(lambda n: selectors.user_by_identifier(str(1000000000 + 1 + (n * 7919) % users)), samples * 5)
    by_name = median_ms(lambda n: selectors.user_by_identifier(f"citizen{1 + (n * 7919) % users}X"), samples * 5)
    print(f"\nlookup median: by ID number {by_id:.2f} ms, by username {by_name:.2f} ms")


class Accounts:
    """Hands out accounts no sign-in of the bench has used yet (each sign-in sends a code)."""

    def __init__(self, users: int):
        self.next, self.users, self.lock = 1, users, threading.Lock()

    def take(self) -> str:
        with self.lock:
            self.next += 1
            return f"Citizen{self.next}x"


def password_step(accounts: Accounts, samples: int, password_hash: str) -> None:
    from django.contrib.auth.hashers import check_password

    from accounts import services
    from accounts.exceptions import InvalidCredentials

    def sign_in(identifier, password, address, expect=None):
        try:
            services.login_begin(identifier=identifier, password=password, client_address=address)
        except InvalidCredentials:
            if expect is not InvalidCredentials:
                raise
        else:
            assert expect is None

    services._equalise_timing("warm")  # the dummy hash is made once a process
    check_password(PASSWORD, password_hash)
    steps = {
        "one check_password": lambda n: check_password(PASSWORD, password_hash),
        "right password": lambda n: sign_in(accounts.take(), PASSWORD, f"198.51.100.{n % 200}"),
        "wrong password": lambda n: sign_in(accounts.take(), "Wrong2026pass", f"198.51.101.{n % 200}", InvalidCredentials),
        "unknown identifier": lambda n: sign_in(f"Nobody{n}x", PASSWORD, f"198.51.102.{n % 200}", InvalidCredentials),
    }
    # Interleaved, sample by sample, so that a change of the machine's load meets every step alike.
    times = {name: [] for name in steps}
    for n in range(samples):
        for name, step in steps.items():
            started = time.perf_counter()
            step(n)
            times[name].append((time.perf_counter() - started) * 1000)
    medians = {name: statistics.median(values) for name, values in times.items()}
    one_hash = medians.pop("one check_password")
    print(f"\n2. The password step (median of {samples}; one Argon2 check_password: {one_hash:.1f} ms)")
    for name, ms in medians.items():
        print(f"   login_begin, {name}: {ms:.1f} ms, ratio {ms / one_hash:.3f} (target <= 1.2)")


def concurrent(accounts: Accounts, threads: int, rounds: int) -> None:
    from django.db import connection

    from accounts import services

    def run(shared: bool) -> float:
        identifiers = [[accounts.take() for _ in range(rounds)] for _ in range(threads)]
        barrier = threading.Barrier(threads + 1)
        errors = []

        def worker(n):
            try:
                connection.ensure_connection()
                barrier.wait(60)
                for identifier in identifiers[n]:
                    address = "203.0.113.1" if shared else f"203.0.{113 + n // 250}.{1 + n % 250}"
                    services.login_begin(identifier=identifier, password=PASSWORD, client_address=address)
            except Exception as exc:  # noqa: BLE001 - reported below, the bench must not hang
                errors.append(repr(exc))
            finally:
                connection.close()

        workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        for thread in workers:
            thread.start()
        barrier.wait(60)
        started = time.perf_counter()
        for thread in workers:
            thread.join(600)
        elapsed = time.perf_counter() - started
        if errors:
            raise SystemExit(f"{len(errors)} sign-ins failed, e.g. {errors[0]}")
        return threads * rounds / elapsed

    one, many = [], []
    for first_shared in (True, False, False, True):  # each kind first as often as last
        for shared in (first_shared, not first_shared):
            (one if shared else many).append(run(shared=shared))
    rate_one, rate_many = statistics.mean(one), statistics.mean(many)
    print(f"\n3. {threads} concurrent sign-ins x {rounds}, right passwords, Argon2")
    print(f"   from one address: {rate_one:.1f} sign-ins/s (rounds: {', '.join(f'{r:.1f}' for r in one)})")
    print(f"   from {threads} addresses: {rate_many:.1f} sign-ins/s (rounds: {', '.join(f'{r:.1f}' for r in many)})")
    print(f"   ratio one/many: {rate_one / rate_many:.3f} (target >= 0.8)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database", default="absher_bench_signin")
    parser.add_argument("--keep", action="store_true", help="leave the scratch database for a look afterwards")
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not server.startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL server")
    needed = args.samples * 2 + args.threads * args.rounds * 4 + 10
    if args.users < needed:
        raise SystemExit(f"--users must be at least {needed} (each sign-in of the bench uses an account of its own)")

    os.environ["BENCH_DATABASE_URL"] = recreate(server, args.database)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.signin_scale_settings"
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connections

    try:
        call_command("migrate", verbosity=0)
        password_hash = make_password(PASSWORD)
        fill(args.users, password_hash)
        lookups(args.users, args.samples)
        accounts = Accounts(args.users)
        password_step(accounts, args.samples, password_hash)
        concurrent(accounts, args.threads, args.rounds)
    finally:
        connections.close_all()
        if not args.keep:
            recreate(server, args.database, drop_only=True)


if __name__ == "__main__":
    main()
