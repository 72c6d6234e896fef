from django.urls import path

from openjxc.bi import feeds

app_name = "bi"
urlpatterns = [
    path("feed/<str:entity>.<str:fmt>", feeds.feed, name="feed"),
]
