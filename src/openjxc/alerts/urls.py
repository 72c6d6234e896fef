"""Alert and notification pages."""

from django.urls import path

from openjxc.alerts import notification_views, views

# under the "web" namespace (config/urls.py): {% url 'web:…' %}
urlpatterns = [
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/<int:pk>/open/", notification_views.notification_open, name="notification_open"),
    path("notifications/read-all/", notification_views.notifications_read_all, name="notifications_read_all"),
    path("notifications/channels/", notification_views.channels, name="channels"),
    path("notifications/channels/new/<slug:kind>/", notification_views.channel_new, name="channel_new"),
    path("notifications/channels/<int:pk>/", notification_views.channel_edit, name="channel_edit"),
    path("notifications/channels/<int:pk>/test/", notification_views.channel_test, name="channel_test"),
    path("notifications/channels/<int:pk>/delete/", notification_views.channel_delete, name="channel_delete"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/scan/", views.alert_scan, name="alert_scan"),
    path("alerts/rules/", views.alert_rules, name="alert_rules"),
    path("alerts/rules/new/<slug:kind>/", views.alert_rule_new, name="alert_rule_new"),
    path("alerts/rules/<int:pk>/", views.alert_rule_edit, name="alert_rule_edit"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    path("alerts/<int:pk>/<slug:action>/", views.alert_action, name="alert_action"),
]
