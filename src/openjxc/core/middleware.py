import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger("django.request")


class UserLanguageMiddleware:
    """A signed-in user's chosen language wins over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


def _api_error(code: str, message: str, status: int, data: dict | None = None) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "data": data or {}}, status=status)


class ApiErrorMiddleware:
    """Under /api/ every answer is {code, message, data}, also the two Django would answer with an HTML page:
    a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413, refused before anything reads it) and an unexpected error
    (500: logged with its traceback as Django logs it, never shown to the client)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            too_big = self._too_big(request)
            if too_big is not None:
                return too_big
        return self.get_response(request)

    @staticmethod
    def _too_big(request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None  # Django refuses a malformed length itself
        # as Django counts: files in a multipart form are streamed to disk and limited elsewhere
        if limit is None or length <= limit or request.content_type == "multipart/form-data":
            return None
        return _api_error("request.too_large", _("The request body is larger than %(limit)s bytes.") % {"limit": limit},
                          413, {"limit": limit, "length": length})

    def process_exception(self, request, exception):
        if not request.path_info.startswith("/api/") or isinstance(exception, Http404 | PermissionDenied):
            return None
        logger.error("Internal Server Error: %s", request.path, exc_info=exception,
                     extra={"status_code": 500, "request": request})
        return _api_error("server.error", _("Something went wrong on the server; it has been logged. Try again "
                                            "later or tell your administrator."), 500)
