from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "openjxc.documents"
    label = "documents"
