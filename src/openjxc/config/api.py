"""The NinjaAPI: one instance, its authentication, and the error handler that renders DomainError."""

from __future__ import annotations

import threading

from django.shortcuts import render
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase
from ninja.security import django_auth

from openjxc.core.api_auth import api_auth
from openjxc.core.errors import DomainError


class LocalSwagger(DocsBase):
    """Swagger UI from our own static files (npm `swagger-ui-dist`, served by whitenoise), never a CDN: the
    page works on a closed intranet. No inline script, so it works under a strict Content-Security-Policy."""

    def render_page(self, request, api, **kwargs):
        return render(request, "web/api_docs.html", {"api": api, "openapi_url": self.get_openapi_url(api, kwargs)})


class OpenJXCApi(NinjaAPI):
    """The NinjaAPI whose OpenAPI schema is built once per process: it depends only on the code, and building
    it costs about half a second of CPU, which an anonymous client could otherwise ask for in a loop."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict[str, dict] = {}
        self._schema_lock = threading.Lock()

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schema = self._schemas.get(path_prefix)
        if schema is None:
            with self._schema_lock:  # concurrent first requests build it once
                schema = self._schemas.get(path_prefix)
                if schema is None:
                    schema = self._schemas[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return schema


api = OpenJXCApi(
    title="OpenJXC API",
    version="1",
    description="进销存 REST API. Errors are {code, message, data}. Send an Idempotency-Key header on every POST.",
    auth=[api_auth],
    urls_namespace="api",
    docs_url="/docs",
    docs=LocalSwagger(),
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.http_status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors = []
    for e in exc.errors:
        loc = [str(p) for p in e.get("loc", []) if p not in ("body", "payload")]
        errors.append({"field": ".".join(loc), "reason": e.get("msg", "")})
    return api.create_response(
        request,
        {"code": "request.invalid", "message": _("The request is not valid."), "data": {"errors": errors}},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return api.create_response(
        request,
        {"code": "auth.required", "message": _("Sign in or send a valid API token."), "data": {}},
        status=401,
    )


@api.exception_handler(Exception)
def unexpected_error(request, exc: Exception):
    """Not ninja's traceback page (which it shows with DEBUG): core.middleware.ApiErrorMiddleware logs the error and
    answers {code, message, data} with status 500."""
    raise exc


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if exc.status_code == 400:  # ninja's "Cannot parse request body": not JSON at all
        body = {"code": "request.malformed", "message": _("The request body is not valid JSON."), "data": {}}
    else:
        body = {"code": f"http.{exc.status_code}", "message": str(exc), "data": {}}
    return api.create_response(request, body, status=exc.status_code)


def _register_routers():
    from openjxc.catalog.api import router as catalog_router
    from openjxc.core.api import router as core_router
    from openjxc.documents.api import router as documents_router
    from openjxc.finance.api import router as finance_router
    from openjxc.partners.api import router as partners_router
    from openjxc.stock.api import router as stock_router

    api.add_router("/", core_router)
    api.add_router("/catalog", catalog_router)
    api.add_router("/catalog", "openjxc.stock.api_levels.router")  # item levels per warehouse
    api.add_router("/partners", partners_router)
    api.add_router("/stock", stock_router)
    api.add_router("/documents", documents_router)
    api.add_router("/finance", finance_router)
    api.add_router("/finance", "openjxc.core.settings_api.router")
    api.add_router("/orders", "openjxc.documents.api_orders.router")
    api.add_router("/pricing", "openjxc.catalog.api_pricing.router")
    api.add_router("/pricing", "openjxc.documents.api_prices.router")  # the last purchase price
    api.add_router("/workflow", "openjxc.workflow.api.router")
    api.add_router("/workflow", "openjxc.presets.api.flow_groups_router")  # the approval flow presets
    api.add_router("/presets", "openjxc.presets.api.router")
    api.add_router("/counts", "openjxc.counts.api.router")
    api.add_router("/periods", "openjxc.stock.api_periods.router")
    api.add_router("/excel", "openjxc.web.excel_api.router")
    api.add_router("/sync", "openjxc.sync.api_terminals.router")
    api.add_router("/sync", "openjxc.sync.api_closings.router")
    api.add_router("/feed", "openjxc.sync.api_feed.router")
    api.add_router("/", "openjxc.alerts.api.alerts.router")
    api.add_router("/reports", "openjxc.reports.api.router")
    api.add_router("/reports", "openjxc.reports.api_analysis.router")
    api.add_router("/reports", "openjxc.reports.api_cockpit.router")
    api.add_router("/reports", "openjxc.reports.api_periods.router")
    api.add_router("/notifications", "openjxc.alerts.api.notifications.router")
    api.add_router("/channels", "openjxc.alerts.api.channels.router")


_register_routers()
__all__ = ["api", "django_auth"]
