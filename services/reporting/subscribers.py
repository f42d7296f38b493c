"""Subscribers to a council's outcome events: RabbitMQ users made through the management HTTP API.

A subscriber is another system of a council (an HR dashboard, a funder's warehouse) that reads the
council's outcome events from the topic exchange `iec.outcomes` (routing key `<tenant>.<type>`).
It gets its own broker user, `iec-sub.<tenant>.<name>`, whose rights are the least that consuming
needs (RabbitMQ access control, docs/outcomes.md):

- configure, write and read only on queues named `<username>.<anything>` (its own queues: declare,
  bind (write on the queue), consume, delete); no other queue, and no exchange but
- read on the exchange `iec.outcomes` (binding a queue to it needs read on the exchange), and
- topic permissions on `iec.outcomes`: read (checked on every binding key) only `^<tenant>\\.`, write
  (checked on publishing) nothing. Binding `<other tenant>.#` is refused with ACCESS_REFUSED.

Queue names are prefixed with the user's own name rather than left to the server (`amq.gen-*`): a
server-named queue of one subscriber would otherwise be readable by any other that learns its name.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from services.common.errors import Conflict, NotFound, Unavailable

OUTCOMES_EXCHANGE = "iec.outcomes"
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,40}$")
NAME_RULE = "2 to 41 characters: lower-case letters, digits and '-', starting with a letter"
USER_PREFIX = "iec-sub"
NOTHING = "^$"  # RabbitMQ's idiom for "no resource": no name is empty
PASSWORD_BYTES = 32


class SubscriberExists(Conflict):
    """A subscriber of that name exists already for the council."""


class BrokerUnavailable(Unavailable):
    """The management API did not do what was asked (unreachable, refused, or failed)."""


@dataclass(frozen=True)
class Grant:
    """What a subscriber may do on the broker: its user name and the patterns of its permissions."""

    tenant_id: str
    name: str

    @property
    def username(self) -> str:
        """`iec-sub.<tenant>.<name>`: neither a tenant id nor a name contains a dot, so it is unique."""
        return f"{USER_PREFIX}.{self.tenant_id}.{self.name}"

    @property
    def queue_prefix(self) -> str:
        """Every queue the subscriber may use starts with this."""
        return f"{self.username}."

    @property
    def binding_prefix(self) -> str:
        """The routing keys of the council's outcome events start with this."""
        return f"{self.tenant_id}."

    def permissions(self) -> dict[str, str]:
        """The vhost permissions (regular expressions over resource names)."""
        own_queues = f"^{re.escape(self.queue_prefix)}.+$"
        return {"configure": own_queues, "write": own_queues,
                "read": f"^({re.escape(self.queue_prefix)}.+|{re.escape(OUTCOMES_EXCHANGE)})$"}

    def topic_permissions(self) -> dict[str, str]:
        """The topic permissions on `iec.outcomes` (regular expressions over routing and binding keys)."""
        return {"exchange": OUTCOMES_EXCHANGE, "read": f"^{re.escape(self.binding_prefix)}",
                "write": NOTHING}


def new_password() -> str:
    """A long random password, shown once to the caller and kept only (hashed) by the broker."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


def vhost_of(amqp_uri: str) -> str:
    """The virtual host an AMQP URI names (`/` when its path is empty or `/`)."""
    path = urlsplit(amqp_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def subscriber_url(public_amqp_url: str, vhost: str, username: str, password: str) -> str:
    """The URL a subscriber connects with: the public broker address, its credentials, the vhost."""
    parts = urlsplit(public_amqp_url)
    host = parts.netloc.rpartition("@")[2]
    userinfo = f"{quote(username, safe='')}:{quote(password, safe='')}"
    return urlunsplit((parts.scheme, f"{userinfo}@{host}", "/" + quote(vhost, safe=""), parts.query, ""))


class ManagementApi:
    """The few calls of RabbitMQ's management HTTP API that subscribers need (stdlib HTTP only).

    `base_url` carries the administrator's credentials (`http://user:pass@host:15672`).
    """

    def __init__(self, base_url: str, timeout: float = 10.0):
        parts = urlsplit(base_url)
        credentials = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
        self._authorization = "Basic " + base64.b64encode(credentials.encode()).decode()
        netloc = parts.netloc.rpartition("@")[2]
        self._base = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self._timeout = timeout

    def _call(self, method: str, path: tuple[str, ...], body: dict | None = None,
              ok: tuple[int, ...] = (200, 201, 204)) -> tuple[int, Any]:
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
        return self._call("GET", ("users", username), ok=(200, 404))[0] == 200

    def put_user(self, username: str, password: str) -> None:
        """Create (or update) a user without tags: it cannot use the management API itself."""
        self._call("PUT", ("users", username), {"password": password, "tags": ""})

    def delete_user(self, username: str) -> bool:
        """Delete a user; False when there was none."""
        return self._call("DELETE", ("users", username), ok=(204, 404))[0] == 204

    def put_permissions(self, vhost: str, username: str, permissions: dict[str, str]) -> None:
        """Set a user's configure/write/read patterns on a vhost."""
        self._call("PUT", ("permissions", vhost, username), permissions)

    def put_topic_permissions(self, vhost: str, username: str, permissions: dict[str, str]) -> None:
        """Set a user's topic permissions (`exchange`, `read`, `write`) on a vhost."""
        self._call("PUT", ("topic-permissions", vhost, username), permissions)

    def declare_exchange(self, vhost: str, name: str, kind: str = "topic") -> None:
        """Declare a durable exchange (a no-op when it exists with these attributes)."""
        self._call("PUT", ("exchanges", vhost, name), {"type": kind, "durable": True, "auto_delete": False})

    def bindings_from(self, vhost: str, exchange: str) -> list[tuple[str, str]]:
        """(queue, binding key) of every binding from `exchange`: who listens to what."""
        found = self._call("GET", ("exchanges", vhost, exchange, "bindings", "source"))[1]
        return [(binding["destination"], binding["routing_key"]) for binding in found]

    def connections_of(self, username: str) -> list[str]:
        """The names of the open AMQP connections of a user."""
        return [conn["name"] for conn in self._call("GET", ("connections",))[1]
                if conn.get("user") == username]

    def close_connection(self, name: str) -> None:
        """Close a client connection from the broker's side (the client sees CONNECTION_FORCED)."""
        self._call("DELETE", ("connections", name), ok=(204, 404))


def register(api: ManagementApi, vhost: str, grant: Grant) -> str:
    """Make the subscriber's user with its permissions on `vhost`; returns its new password.

    Raises SubscriberExists when the user exists, BrokerUnavailable when the broker failed (the user
    is then removed again: a subscriber is made whole or not at all).
    """
    if api.user_exists(grant.username):
        raise SubscriberExists(f"the council has a subscriber named {grant.name!r} already",
                               fields={"name": ["Already taken."]})
    password = new_password()
    # The exchange may not exist yet (nothing published so far); the subscriber may not declare it.
    api.declare_exchange(vhost, OUTCOMES_EXCHANGE)
    api.put_user(grant.username, password)
    try:
        api.put_permissions(vhost, grant.username, grant.permissions())
        api.put_topic_permissions(vhost, grant.username, grant.topic_permissions())
    except BrokerUnavailable:
        api.delete_user(grant.username)
        raise
    return password


def created(grant: Grant, password: str, amqp_url: str) -> dict[str, str]:
    """The answer of POST /v1/subscribers: everything a subscriber needs, the password shown once."""
    return {"name": grant.name, "username": grant.username, "password": password, "amqp_url": amqp_url,
            "exchange": OUTCOMES_EXCHANGE, "binding_prefix": grant.binding_prefix,
            "queue_prefix": grant.queue_prefix}


def unregister(api: ManagementApi, grant: Grant) -> None:
    """Delete the subscriber's user (its permissions and open connections go with it); NotFound if none."""
    if not NAME_RE.match(grant.name) or not api.delete_user(grant.username):
        raise NotFound("no such subscriber")
