from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"


def logout_view(request):
    logout(request)
    return redirect("web:login")


@login_required
def home(request):
    return render(request, "web/home.html", {})
