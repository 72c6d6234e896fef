"""Partner pages: partners and regions."""

from django.urls import path

from openjxc.partners import views

# under the "web" namespace (config/urls.py): {% url 'web:…' %}
urlpatterns = [
    path("masterdata/partners/", views.partners, name="partners"),
    path("masterdata/partners/new/", views.partner_new, name="partner_new"),
    path("masterdata/partners/<int:pk>/edit/", views.partner_edit, name="partner_edit"),
    path("masterdata/regions/", views.regions, name="regions"),
    path("masterdata/regions/new/", views.region_new, name="region_new"),
    path("masterdata/regions/<int:pk>/edit/", views.region_edit, name="region_edit"),
]
