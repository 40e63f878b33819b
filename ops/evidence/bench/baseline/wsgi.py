"""`gunicorn -c backend/gunicorn.conf.py ops.evidence.bench.baseline.wsgi` from the repository root."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "ops.evidence.bench.baseline.settings"

application = get_wsgi_application()
