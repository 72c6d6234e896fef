from django.urls import path

from openjxc.workflow import views

app_name = "workflow"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/<slug:action>/", views.inbox_decide, name="decide"),
    path("flows/", views.flow_list, name="flows"),
    path("flows/<int:pk>/", views.flow_detail, name="flow"),
]
