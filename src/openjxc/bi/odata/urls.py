"""/odata/: the service document, $metadata, each entity set and its $count."""

from django.urls import path, re_path

from openjxc.bi.odata import views

app_name = "odata"

urlpatterns = [
    path("", views.service, name="service"),
    path("$metadata", views.metadata, name="metadata"),
    re_path(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)/\$count$", views.entity_count, name="count"),
    re_path(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)$", views.entity_set, name="entity_set"),
    re_path(r"^(?P<rest>.+)$", views.not_found),
]
