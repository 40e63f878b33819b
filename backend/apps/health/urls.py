from django.urls import path

from apps.health import views

urlpatterns = [
    path("", views.ready, name="health-ready"),
    path("live/", views.live, name="health-live"),
]
