"""The alerts app over HTTP: alerts and rules (alerts.py), notification channels (channels.py), my inbox
(notifications.py)."""
