from django.core.management.base import BaseCommand

from accounts.services import expire_pending_registrations


class Command(BaseCommand):
    help = "Delete registrations whose mobile was not confirmed within 24 hours (idempotent; run by the scheduler)."

    def handle(self, *args, **options):
        count = expire_pending_registrations()
        self.stdout.write(f"expired registrations: {count}")
