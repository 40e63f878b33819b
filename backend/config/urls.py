from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from apps.health import views as health
from apps.observability.metrics import metrics
from apps.users.urls import token_urlpatterns, user_urlpatterns

urlpatterns = [
    # Probes first and unnested: Django tries patterns in order, so they resolve in one step.
    path("health/live/", health.live, name="health-live"),
    path("health/", health.ready, name="health-ready"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/users/", include(user_urlpatterns)),
    path("api/token/", include(token_urlpatterns)),
    path("metrics", metrics, name="metrics"),
    path("csp-report/", include("apps.security.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from a URL, so Swagger UI runs under script-src 'self'.
    path("schema/swagger-ui/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("schema/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

if settings.SILK_ENABLED:
    urlpatterns.append(path("silk/", include("silk.urls", namespace="silk")))

handler400 = "apps.api.errors.bad_request"
handler403 = "apps.api.errors.permission_denied"
handler404 = "apps.api.errors.page_not_found"
handler500 = "apps.api.errors.server_error"
