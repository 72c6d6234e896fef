"""Report pages: the dashboard (home) and cycle times."""

from django.urls import path

from openjxc.reports import dashboard, views

# under the "web" namespace (config/urls.py): {% url 'web:…' %}
urlpatterns = [
    path("", dashboard.home, name="home"),
    path("reports/cycle-times/", views.cycle_times, name="cycle_times"),
]
