"""The body of a CSV upload as a text stream, read as it arrives: never held whole in memory.

The HTTP entrypoint refuses a declared length over its limit before any worker runs; a chunked
body declares none, so its bytes are counted as they are read and TooLarge (413) is raised as
soon as they pass the limit. Undecodable bytes do not stop the reading: they come through as
lone surrogates (``surrogateescape``), so that only the row holding them is rejected.
"""
from __future__ import annotations

import io
from typing import TextIO

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wrappers import Request

from services.common.errors import BadRequest, TooLarge

CSV = "text/csv"
_UTF8 = ("utf-8", "utf8")


def csv_text(request: Request) -> TextIO:
    """The request's ``text/csv`` body as text (a BOM dropped); 400 for another content type."""
    if request.mimetype != CSV:
        raise BadRequest(f"the body must be {CSV}", fields={"_schema": [f"Expected {CSV}."]})
    if request.mimetype_params.get("charset", "utf-8").lower() not in _UTF8:
        raise BadRequest("the CSV must be UTF-8", fields={"_schema": ["Expected UTF-8 text."]})
    # the entrypoint sets max_content_length one byte past its limit (services/common/http.py)
    counted = _CountedStream(request.stream, request.max_content_length)
    return io.TextIOWrapper(io.BufferedReader(counted), encoding="utf-8-sig", errors="surrogateescape",
                            newline="")  # newline="": the csv module finds line ends in quoted cells


class _CountedStream(io.RawIOBase):
    """A request stream that raises TooLarge once ``max_length`` bytes have come through."""

    def __init__(self, stream, max_length: int | None):
        super().__init__()
        self._stream, self._max_length, self._read = stream, max_length, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._stream.read(len(buffer))
        except RequestEntityTooLarge:  # werkzeug's own limit, should it ever be met first
            raise self._too_large() from None
        except ClientDisconnected:
            raise BadRequest("the upload ended early",
                             fields={"_schema": ["The body ended before its declared length."]}) from None
        self._read += len(data)
        if self._max_length is not None and self._read >= self._max_length:
            raise self._too_large()
        buffer[:len(data)] = data
        return len(data)

    def _too_large(self) -> TooLarge:
        return TooLarge(f"the body is larger than {(self._max_length or 1) - 1} bytes")
