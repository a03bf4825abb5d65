from django.core.management.base import BaseCommand

from civil_affairs.services import attachments_sweep


class Command(BaseCommand):
    help = (
        "Finish attachment moves a crash interrupted and delete files no request points to "
        "(idempotent; run by the scheduler, e.g. hourly)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--grace-seconds", type=int, default=3600, help="leave files younger than this alone")

    def handle(self, *args, grace_seconds, **options):
        result = attachments_sweep(older_than_seconds=grace_seconds)
        self.stdout.write(f"promoted {result['promoted']}, deleted {result['deleted']}")
