"""RabbitMQ's management HTTP API: the few calls the platform makes (stdlib HTTP only).

Reporting makes its outcome subscribers' broker users with it (``services/reporting/subscribers.py``);
tests inspect the broker with it.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from services.common.errors import Unavailable


class BrokerUnavailable(Unavailable):
    """The management API did not do what was asked (unreachable, refused, or failed)."""


class ManagementApi:
    """A client of RabbitMQ's management HTTP API.

    `base_url` carries the administrator's credentials (`http://user:pass@host:15672`).
    """

    def __init__(self, base_url: str, timeout: float = 10.0):
        parts = urlsplit(base_url)
        credentials = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
        self._authorization = "Basic " + base64.b64encode(credentials.encode()).decode()
        netloc = parts.netloc.rpartition("@")[2]
        self._base = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self._timeout = timeout

    def call(self, method: str, path: tuple[str, ...], body: dict | None = None,
             ok: tuple[int, ...] = (200, 201, 204)) -> tuple[int, Any]:
        """`method` on `/api/<path parts, each quoted>`: (status, parsed JSON answer or None).

        Raises BrokerUnavailable when the API is unreachable or answers a status not in `ok`.
        """
        url = f"{self._base}/api/" + "/".join(quote(part, safe="") for part in path)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": self._authorization, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                status, payload = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, b""
        except (OSError, ValueError) as exc:
            raise BrokerUnavailable(f"RabbitMQ management API unreachable: {type(exc).__name__}") from None
        if status not in ok:
            raise BrokerUnavailable(f"RabbitMQ management API: {method} {path[0]} answered {status}")
        return status, json.loads(payload) if payload else None

    def user_exists(self, username: str) -> bool:
        """True when the broker has a user of that name."""
        return self.call("GET", ("users", username), ok=(200, 404))[0] == 200

    def put_user(self, username: str, password: str) -> None:
        """Create (or update) a user without tags: it cannot use the management API itself."""
        self.call("PUT", ("users", username), {"password": password, "tags": ""})

    def delete_user(self, username: str) -> bool:
        """Delete a user; False when there was none."""
        return self.call("DELETE", ("users", username), ok=(204, 404))[0] == 204

    def put_permissions(self, vhost: str, username: str, permissions: dict[str, str]) -> None:
        """Set a user's configure/write/read patterns on a vhost."""
        self.call("PUT", ("permissions", vhost, username), permissions)

    def put_topic_permissions(self, vhost: str, username: str, permissions: dict[str, str]) -> None:
        """Set a user's topic permissions (`exchange`, `read`, `write`) on a vhost."""
        self.call("PUT", ("topic-permissions", vhost, username), permissions)

    def declare_exchange(self, vhost: str, name: str, kind: str = "topic") -> None:
        """Declare a durable exchange (a no-op when it exists with these attributes)."""
        self.call("PUT", ("exchanges", vhost, name), {"type": kind, "durable": True, "auto_delete": False})
