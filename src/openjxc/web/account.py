"""Pages of one's own account: sign in and out, change the password, choose the language."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import check_for_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from openjxc.core.models import Company

COMPANY_COOKIE = "jxc_company"  # the company code last signed in with on this browser (not a secret)


class SignInForm(AuthenticationForm):
    """Company code + user name + password (user names are unique per company: core/auth.py)."""

    company = forms.CharField(label=gettext_lazy("Company code"), max_length=32, required=False)

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = authenticate(self.request, username=username, password=password,
                                           company=self.cleaned_data.get("company") or "")
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    form_class = SignInForm

    def get_initial(self):
        return {**super().get_initial(), "company": self.request.COOKIES.get(COMPANY_COOKIE, "")[:32]}

    def get_context_data(self, **kwargs):
        # one company on the server: nothing to choose (the field stays, empty and hidden)
        return {**super().get_context_data(**kwargs), "ask_company": Company.objects.count() > 1}

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if user.company_id:
            response.set_cookie(COMPANY_COOKIE, user.company.code, max_age=365 * 24 * 3600, httponly=True,
                                samesite="Lax", secure=self.request.is_secure())
        return response


class LogoutView(auth_views.LogoutView):
    """Sign out by POST only (a GET link could be triggered by any page)."""


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes' answer to a locked-out user name or address (AXES_LOCKOUT_CALLABLE): a page, status 429."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    return render(request, "web/locked_out.html", {"minutes": minutes}, status=429)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password. Guessing the current password here counts as failed sign-ins: a session left
    open must not be a way to find the password (the same lockout as the sign-in page)."""

    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:home")

    def post(self, request, *args, **kwargs):
        from axes.handlers.proxy import AxesProxyHandler

        credentials = {"username": request.user.get_username(),
                       "company": request.user.company.code if request.user.company_id else ""}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return locked_out(request, credentials)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if "old_password" in form.errors:  # a wrong current password: a failed sign-in for the lockout
            user = self.request.user
            user_login_failed.send(sender=type(self), request=self.request, credentials={
                "username": user.get_username(), "company": user.company.code if user.company_id else ""})
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


@require_POST
def set_language(request):
    """Django's set_language, and for a signed-in user also their saved language (which wins over the cookie)."""
    lang = request.POST.get("language", "")
    if request.user.is_authenticated and check_for_language(lang) and request.user.language != lang:
        request.user.language = lang
        request.user.save(update_fields=["language"])
    return django_set_language(request)


