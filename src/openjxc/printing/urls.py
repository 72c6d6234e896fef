"""Printouts: a document as PDF or print page, labels of items, lots and a document's lines."""

from django.urls import path

from openjxc.printing import views

# under the "web" namespace (config/urls.py): {% url 'web:…' %}
urlpatterns = [
    path("stock/items/<int:pk>/labels.pdf", views.item_labels, name="item_labels"),
    path("stock/lots/<int:pk>/labels.pdf", views.lot_labels, name="lot_labels"),
    path("documents/<int:pk>/print/", views.document_print, name="document_print"),
    path("documents/<int:pk>/print/<slug:paper>.pdf", views.document_pdf, name="document_pdf"),
    path("documents/<int:pk>/labels.pdf", views.document_labels, name="document_labels"),
]
