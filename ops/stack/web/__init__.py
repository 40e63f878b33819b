"""The stack's API: run.sh starts gunicorn, migrate.sh migrates; reloading.py is its development app."""
