"""Pages of one's own account: sign in and out, change the password, choose the language."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import user_login_failed
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


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

        credentials = {"username": request.user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return locked_out(request, credentials)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if "old_password" in form.errors:  # a wrong current password: a failed sign-in for the lockout
            user_login_failed.send(sender=type(self), credentials={"username": self.request.user.get_username()},
                                   request=self.request)
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


