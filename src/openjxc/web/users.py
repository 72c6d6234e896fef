"""Users and roles (administrators only): list, create, edit roles / warehouse scope / superior,
activate or deactivate, reset a password. Every change goes through core.services, which refuses an
administrator locking themself out (deactivating themself, dropping their own administrator role) and
the company losing its last administrator; the refusal is shown beside the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openjxc.core import permissions
from openjxc.core import services as core
from openjxc.core.errors import DomainError
from openjxc.core.models import PERSON_ROLE_CHOICES, Role, User
from openjxc.web.form_pages import CHECKBOX, form_page, show_error
from openjxc.web.lists import ACTIVE_CHOICES
from openjxc.web.pages import company_object, company_page
from openjxc.web.paging import keyset_page

# the warehouses a user can be limited to: company id -> queryset; stock registers it (stock/apps.py)
_warehouse_scope: list[Callable] = []


def register_warehouse_scope(warehouses_of: Callable) -> None:
    _warehouse_scope[:] = [warehouses_of]


def _warehouses(company_id: int, pks=None):
    qs = _warehouse_scope[0](company_id)
    return qs if pks is None else qs.filter(pk__in=pks)


LANGUAGES = [("", gettext_lazy("Browser's language")), ("zh-hans", "简体中文"), ("en", "English")]


def _require_admin(user):
    if not permissions.allowed(user, "users.manage"):
        raise PermissionDenied(_("Only an administrator may manage users."))


class UserFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": gettext_lazy("User name, name or email")}))
    role = forms.ChoiceField(label=gettext_lazy("Role"), required=False,
                             choices=[("", gettext_lazy("All roles"))] + list(Role.choices))
    active = forms.ChoiceField(label=gettext_lazy("Status"), required=False, choices=ACTIVE_CHOICES)
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=[
        ("username", gettext_lazy("User name")), ("-username", gettext_lazy("User name, descending")),
        ("-last_login", gettext_lazy("Last sign-in")),
    ])


class UserForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)
    display_name = forms.CharField(label=gettext_lazy("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False,
                             widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "email"}))
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput(render_value=False),
                               help_text=gettext_lazy("At least 8 characters"))
    roles = forms.MultipleChoiceField(label=gettext_lazy("Roles"), choices=PERSON_ROLE_CHOICES, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    warehouses = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Warehouses"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every warehouse"))
    superior = forms.TypedChoiceField(label=gettext_lazy("Superior"), coerce=int, required=False, empty_value=None)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=LANGUAGES, required=False)
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True, widget=CHECKBOX)

    def __init__(self, *args, company_id, editing: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        whs = _warehouses(company_id).order_by("code")
        self.fields["warehouses"].choices = [(w.pk, w.name) for w in whs]
        people = [u for u in User.objects.filter(company_id=company_id, is_active=True).order_by("username")
                  if permissions.is_person(u) and (editing is None or u.pk != editing.pk)]
        if editing is not None:
            self.fields["username"].disabled = True
            del self.fields["password"]  # a separate form resets it
        self.fields["superior"].choices = [("", "—")] + [(u.pk, f"{u.username} {u.display_name}".strip())
                                                         for u in people]


    def clean_password(self):
        value = self.cleaned_data["password"]
        validate_password(value)  # Django's password rules, as a reset applies them
        return value


NEVER = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class PasswordResetForm(forms.Form):
    new_password = forms.CharField(label=gettext_lazy("New password"), widget=forms.PasswordInput,
                                   help_text=gettext_lazy("At least 8 characters"))


@company_page
def users(request):
    admin = request.user
    _require_admin(admin)
    form = UserFilter(request.GET or None)
    qs = User.objects.filter(company_id=admin.company_id)
    order = "username"
    if form.is_valid():
        data = form.cleaned_data
        term = data["q"].strip()
        if term:
            qs = qs.filter(Q(username__icontains=term) | Q(display_name__icontains=term) | Q(email__icontains=term))
        if data["role"]:
            qs = qs.filter(roles__icontains=f'"{data["role"]}"')  # a JSON list of role codes
        if data["active"] in ("0", "1"):
            qs = qs.filter(is_active=data["active"] == "1")
        order = data["sort"] or "username"
    # keyset paging; the user name is unique: its index gives the order, no tie-breaker needed
    if order.lstrip("-") == "username":
        keys = [order]
    else:  # never signed in = oldest: a NULL cannot be compared with, so it sorts as the epoch
        qs = qs.annotate(seen=Coalesce("last_login", Value(NEVER)))
        keys = ["-seen", "-id"]
    qs = qs.select_related("superior").prefetch_related("warehouses")
    page = keyset_page(request, qs, keys)
    query = page.query
    for u in page.object_list:
        u.role_labels = [str(Role(r).label) for r in (u.roles or []) if r in Role.values]
    return render(request, "web/users.html", {"form": form, "page": page, "query": query})


def _superior(admin, pk):
    return company_object(User, admin, pk) if pk else None


@company_page
def user_new(request):
    admin = request.user
    _require_admin(admin)

    def save(d):
        user = core.create_user(
            by=admin, username=d["username"].strip(), password=d["password"], roles=d["roles"],
            display_name=d["display_name"], email=d["email"], language=d["language"],
            superior=_superior(admin, d["superior"]),
            warehouses=list(_warehouses(admin.company_id, d["warehouses"])),
        )
        if not d["is_active"]:
            core.update_user(user, by=admin, is_active=False)
        return user

    return form_page(
        request, UserForm(request.POST or None, company_id=admin.company_id), save, template="web/user_form.html",
        context={"reset_form": None, "title": _("New user")},
        saved=lambda user: (_("User %(name)s was created.") % {"name": user.username}, "web:users"),
    )


@company_page
def user_edit(request, pk: int):
    admin = request.user
    _require_admin(admin)
    user = company_object(User, admin, pk)
    resetting = request.method == "POST" and "reset_password" in request.POST
    initial = {
        "username": user.username, "display_name": user.display_name, "email": user.email,
        "roles": list(user.roles or []), "warehouses": list(user.warehouses.values_list("pk", flat=True)),
        "superior": user.superior_id, "language": user.language, "is_active": user.is_active,
    }
    form = UserForm(request.POST if request.method == "POST" and not resetting else None,
                    company_id=admin.company_id, editing=user, initial=initial)
    reset_form = PasswordResetForm(request.POST if resetting else None)
    error = ""
    if resetting and reset_form.is_valid():
        try:
            core.reset_password(user, by=admin, password=reset_form.cleaned_data["new_password"])
        except DomainError as err:
            reset_form.add_error("new_password", err.render_message())
        else:
            messages.success(request, _("The password of %(name)s was reset.") % {"name": user.username})
            return redirect("web:user_edit", pk=user.pk)
    elif request.method == "POST" and not resetting and form.is_valid():
        d = form.cleaned_data
        try:
            core.update_user(
                user, by=admin, display_name=d["display_name"], email=d["email"], roles=d["roles"],
                language=d["language"], is_active=d["is_active"], superior=_superior(admin, d["superior"]),
                warehouses=list(_warehouses(admin.company_id, d["warehouses"])),
            )
        except DomainError as err:
            user.refresh_from_db()
            error = show_error(form, err)
        else:
            messages.success(request, _("User %(name)s was saved.") % {"name": user.username})
            return redirect("web:users")
    return render(request, "web/user_form.html", {
        "form": form, "reset_form": reset_form, "error": error, "subject": user, "is_self": user.pk == admin.pk,
        "title": _("Edit user %(name)s") % {"name": user.username},
    })
