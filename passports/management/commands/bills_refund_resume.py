from datetime import timedelta

from django.core.management.base import BaseCommand

from passports.billing import bills_refund_resume


class Command(BaseCommand):
    help = (
        "Finish the refunds left pending by a crash or a gateway that did not answer (the same idempotency key: "
        "the gateway refunds once). reconcile_payments runs this too; safe to run at any time and twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=0, help="leave alone refunds asked for less than this many minutes ago")

    def handle(self, *args, minutes=0, **options):
        counts = bills_refund_resume(older_than=timedelta(minutes=max(0, minutes)))
        self.stdout.write(f"refunds finished: {counts.refunded}, refused by the gateway: {counts.declined}, "
                          f"still pending: {counts.pending}")
