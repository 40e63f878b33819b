"""ASGI entry point for servers such as uvicorn or daphne."""

from django.core.asgi import get_asgi_application

from config.env import prepare_process

prepare_process()

application = get_asgi_application()
