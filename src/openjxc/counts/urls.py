"""Stock count pages."""

from django.urls import path

from openjxc.counts import views

# under the "web" namespace (config/urls.py): {% url 'web:…' %}
urlpatterns = [
    path("counts/", views.count_list, name="counts"),
    path("counts/plans/", views.plan_list, name="count_plans"),
    path("counts/plans/<int:pk>/run/", views.plan_run, name="count_plan_run"),
    path("counts/accuracy/", views.accuracy, name="count_accuracy"),
    path("counts/sw.js", views.count_service_worker, name="count_sw"),
    path("counts/<int:pk>/", views.count_detail, name="count"),
    path("counts/<int:pk>/scan/", views.count_scan, name="count_scan"),
    path("counts/<int:pk>/<slug:action>/", views.count_action, name="count_action"),
]
