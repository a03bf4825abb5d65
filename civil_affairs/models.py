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

    def display_name(self, language: str) -> str:
        return self.name_ar if language == "ar" else self.name_en
