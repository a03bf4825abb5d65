from django.db import models
from django.utils.translation import gettext_lazy as _

from .identity import CITIZEN, RESIDENT, id_kind


class Person(models.Model):
    """A person of the civil registry: the one source of truth for identity."""

    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class Status(models.TextChoices):
        LIVING = "living", _("Living")
        DECEASED = "deceased", _("Deceased")
        ID_CANCELLED = "id_cancelled", _("ID cancelled")

    national_id = models.CharField(_("ID or iqama number"), max_length=10, unique=True)
    name_ar = models.CharField(_("name in Arabic"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"))
    nationality = models.CharField(_("nationality"), max_length=2, help_text=_("ISO 3166 two-letter code, e.g. SA"))
    father = models.ForeignKey(
        "self", verbose_name=_("father"), null=True, blank=True, on_delete=models.PROTECT, related_name="children_as_father"
    )
    mother = models.ForeignKey(
        "self", verbose_name=_("mother"), null=True, blank=True, on_delete=models.PROTECT, related_name="children_as_mother"
    )
    national_id_issued = models.BooleanField(_("national ID card issued"), default=False)
    iqama_expiry = models.DateField(_("iqama expiry"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.LIVING)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["national_id"]
        verbose_name = _("person")
        verbose_name_plural = _("civil registry")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(national_id__regex=r"^[12][0-9]{9}$"), name="person_national_id_format"
            ),
        ]

    def __str__(self):
        return f"{self.national_id} {self.name_en}"

    @property
    def kind(self) -> str:
        return id_kind(self.national_id)

    @property
    def is_citizen(self) -> bool:
        return self.kind == CITIZEN

    @property
    def is_resident(self) -> bool:
        return self.kind == RESIDENT

    @property
    def is_living(self) -> bool:
        return self.status == self.Status.LIVING

    def clean(self):
        """What staff type in the admin obeys the same facts the import checks."""
        from django.core.exceptions import ValidationError

        errors = {}
        if self.nationality and (len(self.nationality) != 2 or not self.nationality.isalpha()):
            errors["nationality"] = _("Use the two-letter country code, e.g. SA.")
        self.nationality = (self.nationality or "").upper()
        if self.father_id and self.father.sex != self.Sex.MALE:
            errors["father"] = _("The father must be male.")
        if self.mother_id and self.mother.sex != self.Sex.FEMALE:
            errors["mother"] = _("The mother must be female.")
        for parent_field in ("father", "mother"):
            parent = getattr(self, parent_field) if getattr(self, f"{parent_field}_id") else None
            if parent is not None and self.pk and parent.pk == self.pk:
                errors[parent_field] = _("A person cannot be their own parent.")
            elif parent is not None and self.birth_date and parent.birth_date >= self.birth_date:
                errors[parent_field] = _("A parent is born before the child.")
        if self.national_id and self.national_id.startswith("2") and not self.iqama_expiry:
            errors["iqama_expiry"] = _("A resident has an iqama expiry date.")
        if errors:
            raise ValidationError(errors)

    def display_name(self, language: str) -> str:
        return self.name_ar if language == "ar" else self.name_en
