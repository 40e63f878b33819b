import logging

from apps.api.request_id import current_request_id


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request being served ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True
