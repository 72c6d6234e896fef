import functools
import inspect
from importlib import import_module

from django.http import Http404, JsonResponse
from django.urls import URLPattern, include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from openjxc.config.api import api
from openjxc.sync import sse


def _error(code: str, message: str, status: int, data: dict | None = None) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "data": data or {}}, status=status)


@csrf_exempt  # answers every method with a JSON 404; a POST must not be turned into a CSRF page first
def api_not_found(request, rest=""):
    """Any /api/ URL no endpoint matches: JSON like every other API answer, never Django's HTML page."""
    return _error("http.not_found", _("There is no API endpoint at this address."), 404)


def _method_not_allowed(request, response):
    allowed = sorted(m.strip() for m in response.get("Allow", "").split(",") if m.strip())
    json_response = _error(
        "http.method_not_allowed",
        _("This API endpoint does not accept the %(method)s method.") % {"method": request.method},
        405,
        {"allowed": allowed},
    )
    json_response["Allow"] = ", ".join(allowed)
    return json_response


def _json_errors(view):
    """ninja answers a method no operation declares with a plain-text 405, and its root view (/api/) raises
    Http404 for Django's HTML page: answer both in JSON instead."""

    def convert(request, response):
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            return _method_not_allowed(request, response)
        return response

    if inspect.iscoroutinefunction(view):
        @functools.wraps(view)
        async def async_wrapped(request, *args, **kwargs):
            try:
                return convert(request, await view(request, *args, **kwargs))
            except Http404:
                return api_not_found(request)

        return async_wrapped

    @functools.wraps(view)  # keeps csrf_exempt and the other view flags
    def wrapped(request, *args, **kwargs):
        try:
            return convert(request, view(request, *args, **kwargs))
        except Http404:
            return api_not_found(request)

    return wrapped


# Each app keeps its pages beside its services; their URL names stay under the one "web" namespace, so every
# {% url 'web:…' %} works wherever the page lives. Order matters only where addresses overlap: printing's
# documents/<id>/print/ before documents' documents/<id>/<action>/.
WEB_PAGES = ("web.urls", "reports.urls", "stock.urls", "printing.urls", "documents.urls", "catalog.urls",
             "partners.urls", "finance.urls", "alerts.urls", "sync.urls", "counts.urls")


def _web_pages():
    return [p for module in WEB_PAGES for p in import_module(f"openjxc.{module}").urlpatterns], "web"


def _api_urls():
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _json_errors(pattern.callback)
    return patterns, app_name, namespace


urlpatterns = [
    path("api/feed/stream", sse.stream, name="feed-stream"),  # async (ASGI): Server-Sent Events
    path("api/", _api_urls()),
    re_path(r"^api(?:/(?P<rest>.*))?$", api_not_found),
    path("i18n/", include("django.conf.urls.i18n")),
    path("workflow/", include("openjxc.workflow.urls")),
    path("bi/", include("openjxc.bi.urls")),
    path("odata/", include("openjxc.bi.odata.urls")),  # the OData v4 feed for BI tools (token auth)
    path("", include(_web_pages())),
]
