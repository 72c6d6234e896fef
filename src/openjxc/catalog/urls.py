"""Catalogue pages: items, units and item units, categories, price lists."""

from django.urls import path

from openjxc.catalog import barcode_views, price_list_views, views

# under the "web" namespace (config/urls.py): {% url 'web:…' %}
urlpatterns = [
    path("masterdata/items/", views.items, name="items"),
    path("masterdata/items/new/", views.item_new, name="item_new"),
    path("masterdata/items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("masterdata/units/", views.units, name="units"),
    path("masterdata/units/new/", views.unit_new, name="unit_new"),
    path("masterdata/units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("masterdata/items/<int:pk>/units/", views.item_units, name="item_units"),
    path("masterdata/items/<int:pk>/barcodes/", barcode_views.item_barcodes, name="item_barcodes"),
    path("masterdata/categories/", views.categories, name="categories"),
    path("masterdata/categories/new/", views.category_new, name="category_new"),
    path("masterdata/categories/<int:pk>/edit/", views.category_edit, name="category_edit"),
    path("masterdata/price-lists/", price_list_views.price_lists, name="price_lists"),
    path("masterdata/price-lists/new/", price_list_views.price_list_new, name="price_list_new"),
    path("masterdata/price-lists/<int:pk>/", price_list_views.price_list_edit, name="price_list_edit"),
]
