"""Idempotency-Key for state-changing API requests.

The request's effects and the stored first response commit in one transaction, so a retry after a
lost answer returns the first result and changes nothing; the same key with a different body is
refused. Refusals (4xx) roll back and are not stored: nothing was done, so a retry may try again.
"""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from openjxc.core.models import IdempotencyRecord

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "data": {}}, status=status)


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get("Idempotency-Key")
        if not key or request.method not in UNSAFE or not request.path.startswith("/api/"):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)  # the API refuses it with 401
        if len(key) > 255:
            return _error(400, "idempotency.key_invalid", _("The Idempotency-Key must be at most 255 characters."))
        digest = hashlib.sha256(b"%s %s\n" % (request.method.encode(), request.get_full_path().encode()))
        digest.update(request.body)
        request_hash = digest.hexdigest()

        stored = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if stored is not None:
            return self._replay(stored, request_hash)
        try:
            with transaction.atomic():
                # Claim the key before acting: a concurrent request with the same key (on any app server)
                # waits on the unique key until this one ends, then replays its answer instead of acting
                # again, or of reporting this one's effects as a refusal (e.g. "not enough stock").
                record = IdempotencyRecord.objects.create(
                    user=user, key=key, method=request.method, path=request.path[:500],
                    request_hash=request_hash, status_code=0, content_type="", body=b"",
                )
                response = self.get_response(request)
                if 200 <= response.status_code < 300 and not response.streaming:
                    record.status_code = response.status_code
                    record.content_type = response.get("Content-Type", "application/json")
                    record.body = bytes(response.content)
                    record.save(update_fields=["status_code", "content_type", "body"])
                else:
                    transaction.set_rollback(True)
        except IntegrityError:
            # A concurrent request with the same key committed first: answer with its result.
            stored = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if stored is None:
                raise
            return self._replay(stored, request_hash)
        return response

    @staticmethod
    def _replay(stored: IdempotencyRecord, request_hash: str) -> HttpResponse:
        if stored.request_hash != request_hash:
            return JsonResponse(
                {
                    "code": "idempotency.key_reused",
                    "message": _("This Idempotency-Key was already used for a different request."),
                    "data": {"key": stored.key},
                },
                status=422,
            )
        response = HttpResponse(bytes(stored.body), status=stored.status_code, content_type=stored.content_type)
        response["Idempotent-Replayed"] = "true"
        return response


