from django.urls import path

from openjxc.printing import views as printing
from openjxc.web import masterdata, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("language/", views.set_language, name="set_language"),
    path("stock/", views.balances, name="balances"),
    path("stock/items/<int:pk>/", views.item_card, name="item_card"),
    path("stock/items/<int:pk>/labels.pdf", printing.item_labels, name="item_labels"),
    path("stock/lots/<int:pk>/labels.pdf", printing.lot_labels, name="lot_labels"),
    path("documents/", views.documents, name="documents"),
    path("documents/new/", views.document_new, name="document_new"),
    path("documents/<int:pk>/", views.document_detail, name="document"),
    path("documents/<int:pk>/print/", printing.document_print, name="document_print"),
    path("documents/<int:pk>/print/<slug:paper>.pdf", printing.document_pdf, name="document_pdf"),
    path("documents/<int:pk>/labels.pdf", printing.document_labels, name="document_labels"),
    path("documents/<int:pk>/from/<slug:kind>/", views.document_create_from, name="document_create_from"),
    path("documents/<int:pk>/<slug:action>/", views.document_action, name="document_action"),
    path("masterdata/items/", masterdata.items, name="items"),
    path("masterdata/items/new/", masterdata.item_new, name="item_new"),
    path("masterdata/items/<int:pk>/edit/", masterdata.item_edit, name="item_edit"),
    path("masterdata/partners/", masterdata.partners, name="partners"),
    path("masterdata/partners/new/", masterdata.partner_new, name="partner_new"),
    path("masterdata/partners/<int:pk>/edit/", masterdata.partner_edit, name="partner_edit"),
    path("masterdata/warehouses/", masterdata.warehouses, name="warehouses"),
    path("masterdata/warehouses/new/", masterdata.warehouse_new, name="warehouse_new"),
    path("masterdata/warehouses/<int:pk>/edit/", masterdata.warehouse_edit, name="warehouse_edit"),
]
