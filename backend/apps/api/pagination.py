from typing import Any

from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request


def _positive_int(request: Request, name: str) -> int:
    """As the schema says: DRF would quietly fall back to a default for `abc`, `0` or an empty value."""
    raw = request.query_params[name]
    try:
        value = int(raw) if raw.isascii() and raw.isdigit() else 0
    except ValueError:  # more digits than int() converts
        value = 0
    if value < 1:
        raise ValidationError({name: ["A positive integer is required."]})
    return value


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M`, M capped so one request can't pull a whole table."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int | None:
        if self.page_size_query_param not in request.query_params:
            return self.page_size
        return min(_positive_int(request, self.page_size_query_param), self.max_page_size)

    def get_page_number(self, request: Request, paginator: Any) -> int:
        if self.page_query_param not in request.query_params:
            return 1
        return _positive_int(request, self.page_query_param)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters
