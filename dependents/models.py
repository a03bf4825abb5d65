from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import eligibility


class GuardianLink(models.Model):
    """A dependent added to a parent's account, by a staff member's approval of the request.

    A person is added once, to anyone: the dependent is unique.
    """

    class Relation(models.TextChoices):
        FATHER = eligibility.FATHER, _("father")
        MOTHER = eligibility.MOTHER, _("mother")

    guardian = models.ForeignKey(
        "civil_affairs.Person", verbose_name=_("guardian"), on_delete=models.PROTECT, related_name="dependent_links"
    )
    dependent = models.OneToOneField(
        "civil_affairs.Person", verbose_name=_("dependent"), on_delete=models.PROTECT, related_name="guardian_link"
    )
    guardian_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("guardian's account"),
        on_delete=models.PROTECT,
        related_name="dependent_links",
    )
    relation = models.CharField(_("relation"), max_length=6, choices=Relation.choices)
    request = models.ForeignKey(
        "civil_affairs.ServiceRequest",
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dependent_links",
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("dependent")
        verbose_name_plural = _("dependents")
        constraints = [
            models.CheckConstraint(condition=~models.Q(guardian=models.F("dependent")), name="guardian_link_not_self"),
        ]

    def __str__(self):
        return f"{self.guardian_id} -> {self.dependent_id} ({self.relation})"
