"""WSGI entry point, served by gunicorn (see backend/gunicorn.conf.py)."""

from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from config.env import prepare_process

prepare_process()

application = get_wsgi_application()

# The URLconf imports every view (DRF, SimpleJWT, drf-spectacular): most of a worker's start-up.
# Done here, a worker accepts connections once it is ready instead of stalling its first request.
import_module(settings.ROOT_URLCONF)
