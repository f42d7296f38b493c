"""An SMTP server that refuses or holds, for the tests a plain sink cannot serve.

A server that takes every mail is ``services.cli.infra.MailSink`` (the ``mail_sink`` fixture); this one
answers as a test scripts it: a recipient refused, DATA deferred or refused a number of times, or the
reply to one mail held back (the instant a sender may crash between sending and recording).
"""
from __future__ import annotations

import asyncio
import email
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from services.cli.infra import free_port

ACCEPTED = "250 OK"


class ScriptedMailbox:
    """An aiosmtpd handler. Every recipient is refused with ``rcpt_reply`` when one is given; DATA is
    answered from ``data_replies`` first, then accepted; after accepting the ``hold_at``-th mail its
    reply waits until ``release`` is set."""

    def __init__(self, data_replies: list[str] | None = None, rcpt_reply: str | None = None,
                 hold_at: int | None = None) -> None:
        self.data_replies, self.rcpt_reply, self.hold_at = list(data_replies or []), rcpt_reply, hold_at
        self.release = False
        self.envelopes: list = []  # of the mails accepted

    @property
    def accepted(self) -> list[EmailMessage]:
        """The mails accepted, as a mail client parses them."""
        return [email.message_from_bytes(each.content, policy=policy.default) for each in self.envelopes]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return ACCEPTED

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        if self.data_replies:
            return self.data_replies.pop(0)
        self.envelopes.append(envelope)
        while len(self.envelopes) == self.hold_at and not self.release:
            await asyncio.sleep(0.02)
        return ACCEPTED


@contextmanager
def smtp_server(handler: ScriptedMailbox, **smtp_options: object) -> Iterator[int]:
    """Run aiosmtpd with ``handler`` (and aiosmtpd's ``smtp_options``) on a free port; yields the port.
    A held reply is released when the block ends."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **smtp_options)
    controller.start()
    try:
        yield controller.port
    finally:
        handler.release = True
        controller.stop()
