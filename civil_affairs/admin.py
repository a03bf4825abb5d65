from django.contrib import admin

from .models import Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("national_id", "name_en", "name_ar", "sex", "birth_date", "nationality", "status", "national_id_issued")
    list_filter = ("status", "sex", "nationality", "national_id_issued")
    search_fields = ("national_id", "name_en", "name_ar")
    raw_id_fields = ("father", "mother")
    date_hierarchy = "birth_date"
    list_select_related = True
