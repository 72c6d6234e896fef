"""Stock pages: balances, an item's card, warehouses."""

from django.urls import path

from openjxc.stock import period_views, views

# under the "web" namespace (config/urls.py): {% url 'web:…' %}
urlpatterns = [
    path("stock/", views.balances, name="balances"),
    path("periods/", period_views.periods, name="periods"),
    path("periods/<str:month>/<str:action>/", period_views.period_action, name="period_action"),
    path("stock/items/<int:pk>/", views.item_card, name="item_card"),
    path("masterdata/warehouses/", views.warehouses, name="warehouses"),
    path("masterdata/warehouses/new/", views.warehouse_new, name="warehouse_new"),
    path("masterdata/warehouses/<int:pk>/edit/", views.warehouse_edit, name="warehouse_edit"),
]
