"""A small HTTP client for a service under test, speaking with one tenant's key."""
from __future__ import annotations

import requests


class Api:
    """Calls ``base_url`` with ``Authorization: Bearer <key>`` (if a key is given)."""

    def __init__(self, base_url: str, key: str | None = None):
        self.base_url, self.key = base_url.rstrip("/"), key

    def _headers(self, extra: dict | None) -> dict:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        headers.update(extra or {})
        return headers

    def get(self, path: str, **kwargs) -> requests.Response:
        """GET ``path``."""
        return requests.get(self.base_url + path, headers=self._headers(kwargs.pop("headers", None)),
                            timeout=10, **kwargs)

    def post(self, path: str, json: object = None, **kwargs) -> requests.Response:
        """POST ``path`` with a JSON body."""
        headers = self._headers(kwargs.pop("headers", None))
        return requests.post(self.base_url + path, json=json, headers=headers, timeout=10, **kwargs)

    def put(self, path: str, json: object = None, **kwargs) -> requests.Response:
        """PUT ``path`` with a JSON body."""
        headers = self._headers(kwargs.pop("headers", None))
        return requests.put(self.base_url + path, json=json, headers=headers, timeout=10, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        """DELETE ``path``."""
        return requests.delete(self.base_url + path, headers=self._headers(kwargs.pop("headers", None)),
                               timeout=10, **kwargs)

    def with_key(self, key: str | None) -> Api:
        """The same service, another key."""
        return Api(self.base_url, key)
