from datetime import date

from django.core.management.base import BaseCommand

from passports.services import REMINDER_DAYS, expiry_reminders_send


class Command(BaseCommand):
    help = (
        "Remind (notice + SMS) everyone who may act for a person whose passport or iqama expires within 30 days. "
        "Idempotent: run it daily from the scheduler; a reminder is sent once per user, document and expiry date."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, help="the day to count from (YYYY-MM-DD); default: today in Riyadh")
        parser.add_argument("--days", type=int, default=REMINDER_DAYS)

    def handle(self, *args, today=None, days=REMINDER_DAYS, **options):
        sent = expiry_reminders_send(today=today, days=days)
        self.stdout.write(f"expiry reminders sent: {sent}")
