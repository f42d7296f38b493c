"""A notifications process killed (SIGKILL) mid-batch and restarted sends each mail exactly once.

The service runs as ``nameko run`` in its own process, dedicated to the test's council
(``SERVED_TENANTS``), its timer passing every 0.2 s. The SMTP server takes the third mail of the
batch and then holds its reply: the process is killed at that moment, when the mail has left but
the service has not recorded it, the one instant where a resend would duplicate it. After the
restart the rest of the batch goes out, the interrupted mail is reported ``uncertain`` and not
resent, and the server holds every mail exactly once.
"""

from __future__ import annotations

from collections import Counter

import pytest

from services.cli import infra
from tests.integration.notifications_support import deliver, invitation_due, participant
from tests.support.http import Api
from tests.support.smtp import ScriptedMailbox, smtp_server
from tests.support.waiting import eventually


@pytest.fixture
def mailbox():
    """An SMTP server that takes every mail and holds its reply to the third one (until released)."""
    handler = ScriptedMailbox(hold_at=3)
    with smtp_server(handler) as port:
        yield handler, port


def test_a_process_killed_mid_batch_and_restarted_sends_each_mail_exactly_once(
        notifications_stand_ins, amqp_uri, mongo_uri, tenant, mailbox, tmp_path):
    handler, smtp_port = mailbox
    port = infra.free_port()
    env = infra.service_env(amqp_uri, mongo_uri, smtp_port=smtp_port, ports={"notifications": port},
                      SERVED_TENANTS=tenant["id"], SCHEDULER_INTERVAL_SECONDS="0.2",
                      NOTIFICATIONS_SEND_LEASE_SECONDS="1", OUTBOX_POLL_SECONDS="0.1")
    with infra.running_services(env, tmp_path, {"notifications": port}, services=("notifications",),
                                timeout=60) as processes:
        people = [participant(tenant, lang) for lang in ("en", "fr") * 3]
        for each in people:
            deliver(amqp_uri, invitation_due(tenant, each))

        eventually(lambda: len(handler.accepted) == 3, timeout=30, what="the third mail, held")
        processes.kill("notifications")
        handler.release = True
        processes.restart("notifications")
        processes.wait_ready(timeout=60)

        api = Api(f"http://127.0.0.1:{port}", tenant["staff"])
        statuses = eventually(lambda: _finished(api, len(people)), timeout=60, what="every mail concluded")

    assert statuses == Counter({"sent": 5, "uncertain": 1})
    received = Counter(message["To"].addresses[0].addr_spec for message in handler.accepted)
    assert received == Counter({f"{each}@example.org": 1 for each in people})


def _finished(api: Api, expected: int) -> Counter | None:
    items = api.get("/v1/notifications", params={"limit": 200}).json()["items"]
    statuses = Counter(item["status"] for item in items)
    done = statuses["sent"] + statuses["uncertain"]
    return statuses if len(items) == expected and done == expected else None
