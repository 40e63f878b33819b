from django.http import HttpRequest, JsonResponse
from django.urls import re_path


def ok(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


# Every path (and method) the benchmark hits on the API answers here, so each pair compares the same URL.
urlpatterns = [re_path(r"", ok)]
