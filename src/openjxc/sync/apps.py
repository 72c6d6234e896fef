from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "openjxc.sync"
    label = "sync"
