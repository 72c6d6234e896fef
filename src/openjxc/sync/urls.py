"""Terminal pages: the till (POS) and the terminals list."""

from django.urls import path

from openjxc.sync import pos, views, views_closings, views_reviews, views_settings

# under the "web" namespace (config/urls.py): {% url 'web:…' %}
urlpatterns = [
    path("pos/", pos.pos_page, name="pos"),
    path("pos/manifest.webmanifest", pos.manifest, name="pos_manifest"),
    path("pos/sw.js", pos.service_worker, name="pos_sw"),
    path("tills/closings/", views_closings.closing_list, name="till_closings"),
    path("tills/closings/<int:pk>/", views_closings.closing_detail, name="till_closing"),
    path("tills/closings/<int:pk>/print/", views_closings.closing_print, name="till_closing_print"),
    path("terminals/", views.terminal_list, name="terminals"),
    path("terminals/<int:pk>/", views.terminal_detail, name="terminal"),
    path("terminals/reviews/", views_reviews.review_list, name="terminal_reviews"),
    path("terminals/settings/", views_settings.terminal_settings, name="terminal_settings"),
    path("masterdata/partners/<int:pk>/stores/", views_settings.customer_stores, name="customer_stores"),
    path("terminals/reviews/<int:pk>/", views_reviews.review_decide, name="terminal_review"),
    path("terminals/<int:pk>/revoke/", views.terminal_revoke, name="terminal_revoke"),
]
