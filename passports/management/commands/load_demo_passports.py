from django.core.management.base import BaseCommand, no_translations
from django.utils import timezone

from passports.demo import load


class Command(BaseCommand):
    help = "Give the demo people passports, iqamas, visas and travel records, and demo sponsors domestic workers (idempotent)."

    @no_translations
    def handle(self, *args, **options):
        today = timezone.localdate()
        result = load(today=today)
        people = result["people"]
        self.stdout.write(f"workers in the registry: created {people.created}, updated {people.updated}, "
                          f"unchanged {people.unchanged}")
        if result["fingerprints"]["skipped"]:
            self.stdout.write(f"reference fingerprints skipped for {result['fingerprints']['skipped']} people: the "
                              "matcher is unavailable (apt-get install libfprint-2-2 gir1.2-fprint-2.0 python3-gi)")
        self.stdout.write("")
        self.stdout.write("Demo domestic workers (sign in as DemoActive1 or DemoParent1, password DemoPass2026)")
        rows = [("iqama number", "name", "sponsor", "what it shows")]
        for worker, _person in result["workers"]:
            rows.append((worker.national_id, worker.name_en, worker.sponsor_key, worker.note))
        widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
        for index, row in enumerate(rows):
            self.stdout.write("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
            if index == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
