from django.urls import path

from . import views

app_name = "dependents"

urlpatterns = [
    path("", views.dependent_list, name="dependent-list"),
]
