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

import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from services.common.envelope import OUTCOMES_EXCHANGE
from services.common.errors import Conflict, NotFound
from services.common.rabbitmq import BrokerUnavailable, ManagementApi

NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,40}$")
NAME_RULE = "2 to 41 characters: lower-case letters, digits and '-', starting with a letter"
USER_PREFIX = "iec-sub"
NOTHING = "^$"  # RabbitMQ's idiom for "no resource": no name is empty
PASSWORD_BYTES = 32


class SubscriberExists(Conflict):
    """A subscriber of that name exists already for the council."""


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
