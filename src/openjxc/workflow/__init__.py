"""Approval flows, steps, conditions, timers (reminders, escalation), delegation, the inbox."""
