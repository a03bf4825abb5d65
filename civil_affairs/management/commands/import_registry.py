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
            # utf-8-sig drops a byte order mark if there is one.
            text = path.read_text(encoding="utf-8-sig")
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}") from None
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8 text (byte {error.start} cannot be read)") from None
        result = registry_import(text=text, today=timezone.localdate())
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(result.errors)} error(s) in {path}: nothing was imported.")
        self.stdout.write(
            self.style.SUCCESS(f"created: {result.created}, updated: {result.updated}, unchanged: {result.unchanged}")
        )
