"""WSGI entry point, served by gunicorn (see backend/gunicorn.conf.py)."""

from django.core.wsgi import get_wsgi_application

from config.env import prepare_process

prepare_process()

application = get_wsgi_application()
