"""Pages of one's own account: sign in and out, change the password, choose the language."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
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


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:home")

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


