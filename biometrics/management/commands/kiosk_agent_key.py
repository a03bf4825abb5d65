"""Print the key a kiosk's reader agent seals captures with (valid for the device bound now)."""

from django.core.management.base import BaseCommand, CommandError

from biometrics.credentials import agent_key
from biometrics.models import Kiosk


class Command(BaseCommand):
    help = "Print the reader agent key of a kiosk's bound device (for biometrics.readers.agent)."

    def add_arguments(self, parser):
        parser.add_argument("serial")

    def handle(self, *args, serial, **options):
        kiosk = Kiosk.objects.filter(serial=serial).first()
        if kiosk is None:
            raise CommandError(f"no kiosk {serial}")
        if not kiosk.is_provisioned:
            raise CommandError(f"kiosk {serial} has no device bound: an operator binds one at /kiosk/provision/")
        self.stdout.write(agent_key(kiosk))
