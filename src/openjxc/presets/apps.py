from django.apps import AppConfig


class PresetsConfig(AppConfig):
    name = "openjxc.presets"
    label = "presets"
