"""The shared kit's own pages: account, users, import, background jobs."""

from django.urls import path

from openjxc.web import account, company, excel_views, users

# under the "web" namespace (config/urls.py): {% url 'web:…' %}
urlpatterns = [
    path("login/", account.LoginView.as_view(), name="login"),
    path("logout/", account.LogoutView.as_view(), name="logout"),
    path("password/", account.PasswordChangeView.as_view(), name="password_change"),
    path("language/", account.set_language, name="set_language"),
    path("admin/company/", company.company_settings, name="company_settings"),
    path("admin/users/", users.users, name="users"),
    path("admin/users/new/", users.user_new, name="user_new"),
    path("admin/users/<int:pk>/", users.user_edit, name="user_edit"),
    path("import/", excel_views.import_page, name="import"),
    path("import/<slug:target>/template.xlsx", excel_views.import_template, name="import_template"),
    path("jobs/", excel_views.job_list, name="jobs"),
    path("jobs/<int:pk>/", excel_views.job_detail, name="job"),
    path("jobs/<int:pk>/confirm/", excel_views.job_confirm, name="job_confirm"),
    path("jobs/<int:pk>/download/", excel_views.job_download, name="job_download"),
]
