"""The benchmark's floor: Django 5.2 with one JsonResponse view, no apps, no middleware, no database.

Served by the same gunicorn config as the API (backend/gunicorn.conf.py), so every figure of
the API can be read as a ratio to what Django and gunicorn cost on their own.
"""
