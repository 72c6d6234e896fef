"""Company, users, the event outbox, the audit trail, number sequences, API tokens, idempotency."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


class Company(models.Model):
    """A legal entity with its own books. Every business row points at one."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Manager")
    PURCHASER = "purchaser", _("Purchaser")
    SALESPERSON = "salesperson", _("Salesperson")
    KEEPER = "keeper", _("Warehouse keeper")
    CASHIER = "cashier", _("Cashier")
    FINANCE = "finance", _("Finance")
    # a store till's or warehouse handheld's own user (sync/terminals.py): the terminal protocol and nothing else
    TERMINAL = "terminal", _("Terminal")


# the roles a person may be given (forms, approver and recipient pickers): not a terminal's
PERSON_ROLE_CHOICES = [(value, label) for value, label in Role.choices if value != Role.TERMINAL]


class PeopleManager(UserManager):
    """User names are unique per company (issue 14, finding 8): a bare name finds a user only when it is unique
    (the sign-in backend asks with the company: core/auth.py)."""

    def get_by_natural_key(self, username):
        found = list(self.filter(**{self.model.USERNAME_FIELD: username})[:2])
        if len(found) != 1:
            raise self.model.DoesNotExist(f"no single user named {username!r}")
        return found[0]


class User(AbstractUser):
    """A person who signs in. Works in one company at a time; roles decide what they may do.

    The user name is unique within the company (two companies may each have a "wang"); a user without a company
    (the server's superuser) has a name unique among those."""

    username = models.CharField(_("username"), max_length=150, validators=[UnicodeUsernameValidator()])
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("company")
    )
    roles = models.JSONField(_("roles"), default=list, blank=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    superior = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports", verbose_name=_("superior")
    )

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]  # django-stubs does not declare it
        swappable = "AUTH_USER_MODEL"
        # the users page lists one company's people by name, a page at a time (keyset on the name)
        indexes = [models.Index(fields=["company", "username"], name="core_user_company_username")]
        constraints = [
            models.UniqueConstraint(fields=["company", "username"], name="uniq_user_company_username"),
            models.UniqueConstraint(fields=["username"], condition=models.Q(company__isnull=True),
                                    name="uniq_user_username_without_company"),
        ]

    objects = PeopleManager()  # type: ignore[misc]  # AbstractUser declares a UserManager: this is one

    def __str__(self):
        return self.display_name or self.username

    def has_role(self, *roles: str) -> bool:
        return any(r in (self.roles or []) for r in roles)

    @property
    def is_terminal(self) -> bool:
        """A terminal's own user: never a person who signs in, approves or is notified."""
        return Role.TERMINAL in (self.roles or [])


@deconstructible(path="openjxc.core.models.WritingTransaction")
class WritingTransaction(models.Func):
    """Column default: the id of the transaction writing the row (PostgreSQL), 0 elsewhere.

    The change feed orders by (txid, id) and reads only below the snapshot's xmin, so a transaction
    that took a lower id but commits later is never passed over (docs/decisions/0009). SQLite runs
    one writer at a time (BEGIN IMMEDIATE), so there id order is commit order and txid stays 0.
    """

    template = "0"
    output_field = models.BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return "(pg_current_xact_id()::text::bigint)", []


class Event(models.Model):
    """The transactional outbox: one row per change, written in the same transaction as the change.

    Audit, the terminals' change feed, live screens, webhooks and alerts all read from it.
    """

    # read through core_event_feed, which starts with the company; nothing reads events by actor (decision 0032)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, db_index=False, related_name="+")
    topic = models.CharField(max_length=64, db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, db_index=False, related_name="+")
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    # the writing transaction (see WritingTransaction); filled by the database, never by Python
    txid = models.BigIntegerField(db_default=WritingTransaction(), editable=False)

    class Meta:
        indexes = [models.Index(fields=["company", "txid", "id"], name="core_event_feed")]

    def __str__(self):
        return f"#{self.pk} {self.topic}"


class AuditRecord(models.Model):
    """Who did what, when, with the state before and after. Written by the service that acted."""

    # read through the Meta index, which starts with the company; nothing reads it by actor (decision 0032)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, db_index=False, related_name="+")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, db_index=False, related_name="+")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["company", "object_type", "object_id"])]


class NumberSequence(models.Model):
    """Counter per (company, prefix, day) for gap-free document numbers; incremented in the doc's transaction."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    prefix = models.CharField(max_length=16)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["company", "prefix", "day"], name="uniq_number_sequence")]


class ApiToken(models.Model):
    """A hashed API token. Only the hash is stored; the token is shown once, when created."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The first response to a state-changing request made with an Idempotency-Key."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_key")]
