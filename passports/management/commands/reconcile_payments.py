from datetime import timedelta

from django.core.management.base import BaseCommand

from passports.settlement import RECONCILE_AFTER, payments_reconcile


class Command(BaseCommand):
    help = (
        "Ask the payment gateway about unpaid bills whose payer was sent to pay more than --minutes ago: confirm "
        "and carry out the paid ones (once), close the declined ones; then finish the refunds left pending. "
        "Safe to run at any time and twice: run it every few minutes from the scheduler."
    )

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=int(RECONCILE_AFTER.total_seconds() // 60),
                            help="leave alone what started less than this many minutes ago (the payer may still be paying)")

    def handle(self, *args, minutes=None, **options):
        counts = payments_reconcile(older_than=timedelta(minutes=max(0, minutes)))
        refunds = counts.refunds
        self.stdout.write(
            f"payments confirmed: {counts.confirmed}, closed: {counts.closed}, still waiting: {counts.waiting}, "
            f"amount mismatches: {counts.mismatched}, gateway unreachable: {counts.unreachable}; "
            f"refunds finished: {refunds.refunded}, refused by the gateway: {refunds.declined}, "
            f"still pending: {refunds.pending}"
        )
