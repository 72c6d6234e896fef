"""Who may sign in with a password (the web sign-in, a session): people, never a terminal's own user.

A terminal's user (role `terminal`, sync/terminals.py) has no usable password and authenticates only with its
terminal token on the sync endpoints; were a password ever set on it, this backend still refuses it, and a
session that names it is not restored (ModelBackend.get_user asks the same question)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from openjxc.core.permissions import is_person


class PeopleBackend(ModelBackend):
    """Django's model backend for people: active and not a terminal."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and is_person(user)
