"""Stock pages: balances, an item's card, warehouses."""

from django.urls import path

from openjxc.stock import views

# under the "web" namespace (config/urls.py): {% url 'web:…' %}
urlpatterns = [
    path("stock/", views.balances, name="balances"),
    path("stock/items/<int:pk>/", views.item_card, name="item_card"),
    path("masterdata/warehouses/", views.warehouses, name="warehouses"),
    path("masterdata/warehouses/new/", views.warehouse_new, name="warehouse_new"),
    path("masterdata/warehouses/<int:pk>/edit/", views.warehouse_edit, name="warehouse_edit"),
]
