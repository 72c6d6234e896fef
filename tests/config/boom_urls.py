"""The real URLs plus one API address whose view fails unexpectedly: how a 500 under /api/ is answered."""

from django.urls import path

from openjxc.config.urls import urlpatterns as real_urlpatterns


def boom(request):
    raise RuntimeError("internal detail that must not reach the client")


urlpatterns = [path("api/test-boom", boom), *real_urlpatterns]
