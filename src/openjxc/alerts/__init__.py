"""Notifications (in-app, email, WeCom, DingTalk, Feishu, signed webhook) and alert rules."""
