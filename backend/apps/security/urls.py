from django.urls import path

from apps.security.apis import CspReportApi

urlpatterns = [path("", CspReportApi.as_view(), name="csp-report")]
