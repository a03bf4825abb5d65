import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone

from civil_affairs.registry_import import CSV_HEADER, registry_import


class Command(BaseCommand):
    help = (
        "Load people into the civil registry from a UTF-8 CSV file (all lines, or none if any line has an error). "
        f"Header: {','.join(CSV_HEADER)}"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the CSV file (UTF-8, with or without a byte order mark)")

    @no_translations
    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}") from None
        try:
            # utf-8-sig drops a byte order mark if there is one.
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8 text (byte {error.start} cannot be read)") from None
        # The audit row names the file by the digest of its bytes, as they were read.
        result = registry_import(
            text=text, today=timezone.localdate(), sha256=hashlib.sha256(data).hexdigest(), source=path.name
        )
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(result.errors)} error(s) in {path}: nothing was imported.")
        self.stdout.write(
            self.style.SUCCESS(f"created: {result.created}, updated: {result.updated}, unchanged: {result.unchanged}")
        )
        self.stdout.write(f"sha256: {result.sha256}")
