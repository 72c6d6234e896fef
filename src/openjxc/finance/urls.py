"""Finance pages: receipts and payments, balances, statements, aging."""

from django.urls import path

from openjxc.finance import views

# under the "web" namespace (config/urls.py): {% url 'web:…' %}
urlpatterns = [
    path("finance/settlements/", views.settlements, name="settlements"),
    path("finance/settlements/new/", views.settlement_new, name="settlement_new"),
    path("finance/settlements/<int:pk>/", views.settlement_detail, name="settlement"),
    path("finance/settlements/<int:pk>/<slug:action>/", views.settlement_action, name="settlement_action"),
    path("finance/balances/", views.balances, name="finance_balances"),
    path("finance/statement/", views.statement, name="statement"),
    path("finance/aging/", views.aging, name="aging"),
]
