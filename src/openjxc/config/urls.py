from django.urls import include, path

from openjxc.config.api import api

urlpatterns = [
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("openjxc.web.urls")),
]
