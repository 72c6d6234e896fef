"""Idempotency-Key for state-changing API requests.

The request's effects and the stored first response commit in one transaction, so a retry after a
lost answer returns the first result and changes nothing; the same key with a different body is
refused. Refusals (4xx) roll back and are not stored: nothing was done, so a retry may try again. Because the
whole transaction rolls back unless the answer is a success, a view may run its service in it without a
savepoint of its own (`one_transaction`).

An answer that carries a secret shown once (an API token, a terminal token, a registration code) is not kept:
the record holds a marker instead, and a replay says the secret was already issued (`issues_secret`).
Records are purged after JXC_IDEMPOTENCY_DAYS (default 7) by the worker (`purge_idempotency_records`).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from openjxc.core import clock
from openjxc.core import sql as sql_kit
from openjxc.core.models import IdempotencyRecord

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# content type of a stored answer whose body carried a secret: only this marker is kept, never the body
SECRET_ISSUED = "openjxc/secret-issued"


def issues_secret(request) -> None:
    """The answer to `request` carries a secret shown once: the idempotency record must not keep it."""
    request.issues_secret = True


def purge_idempotency_records(*, now=None) -> int:
    """Delete the records older than the retention period (settings.JXC_IDEMPOTENCY_DAYS); the count."""
    cutoff = (now or clock.now()) - dt.timedelta(days=settings.JXC_IDEMPOTENCY_DAYS)
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def one_transaction(request) -> bool:
    """Whether `request` runs inside the Idempotency-Key's transaction, which is rolled back whole unless the
    answer is a success: a service may then work in it directly (`atomic(savepoint=False)`) instead of in a
    savepoint of its own — the SAVEPOINT and RELEASE statements a savepoint costs buy nothing there."""
    return getattr(request, "jxc_idempotency_tx", False) and connection.in_atomic_block


_CLAIM = ("user", "key", "method", "path", "request_hash", "status_code", "content_type", "body", "created_at")
_ANSWER = ("status_code", "content_type", "body")


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

        try:
            with transaction.atomic():
                # Claim the key before acting: a concurrent request with the same key (on any app server)
                # waits on the unique key until this one ends, then replays its answer instead of acting
                # again, or of reporting this one's effects as a refusal (e.g. "not enough stock").
                # A key already used fails this INSERT too: no SELECT first, the first use (the common case)
                # costs one statement less and a retry reads the stored answer below.
                # both statements written directly (core/sql.py): the ORM's create and save compile theirs anew
                # on every request
                (record_id,), = sql_kit.insert_rows(IdempotencyRecord, _CLAIM, [(
                    user.pk, key, request.method, request.path[:500], request_hash, 0, "", b"", clock.now(),
                )], returning=("id",))
                request.jxc_idempotency_tx = True
                try:
                    response = self.get_response(request)
                finally:
                    request.jxc_idempotency_tx = False
                if 200 <= response.status_code < 300 and not response.streaming:
                    record = IdempotencyRecord(pk=record_id, status_code=response.status_code)
                    if getattr(request, "issues_secret", False):  # never keep a token at rest
                        record.content_type, record.body = SECRET_ISSUED, b""
                    else:
                        record.content_type = response.get("Content-Type", "application/json")
                        record.body = bytes(response.content)
                    sql_kit.update_fields(record, _ANSWER)
                else:
                    transaction.set_rollback(True)
        except IntegrityError:
            # The key was used before, or a concurrent request with it committed first: answer with its result.
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
        if stored.content_type == SECRET_ISSUED:
            response: HttpResponse = JsonResponse({
                "code": "idempotency.secret_issued",
                "message": _("This request was already carried out and its answer held a secret that is shown only "
                             "once (a token or a code). It cannot be shown again: if it was lost, revoke it and "
                             "issue a new one."),
                "data": {"key": stored.key},
            }, status=409)
            response["Idempotent-Replayed"] = "true"
            return response
        response = HttpResponse(bytes(stored.body), status=stored.status_code, content_type=stored.content_type)
        response["Idempotent-Replayed"] = "true"
        return response


