"""Document pages: the list, new, a document, its lines, its header, its lifecycle actions and 下推."""

from django.urls import path

from openjxc.documents import edit_views, views

# under the "web" namespace (config/urls.py): {% url 'web:…' %}
urlpatterns = [
    path("documents/", views.documents, name="documents"),
    path("documents/new/", views.document_new, name="document_new"),
    path("documents/<int:pk>/", views.document_detail, name="document"),
    path("documents/<int:pk>/from/<slug:kind>/", views.document_create_from, name="document_create_from"),
    path("documents/<int:pk>/lines/", views.document_lines, name="document_lines"),
    path("documents/<int:pk>/edit/", edit_views.document_edit, name="document_edit"),
    # last: any other word after a document is an action (printing's print/ and labels.pdf come before)
    path("documents/<int:pk>/<slug:action>/", views.document_action, name="document_action"),
]
