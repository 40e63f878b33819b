"""Parsers that turn every malformed or oversized body into a 4xx instead of a 500."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from apps.api.exceptions import PayloadTooLarge


def declared_length(parser_context: Mapping[str, Any] | None) -> int:
    request = (parser_context or {}).get("request")
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
    except ValueError:
        return 0


class JSONParser(parsers.JSONParser):
    """DRF's parser, bounded by Django's upload limit and safe against deeply nested input."""

    max_bytes: int | None = None  # None: settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        limit = self.max_bytes or settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and declared_length(parser_context) > limit:
            raise PayloadTooLarge()
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:  # json raises this for input nested thousands of levels deep
            raise ParseError("JSON parse error - nested too deeply.") from exc
