"""Unsubscribe links: every mail carries one; following it withdraws the participant's contact consent.

A link is ``<public url>/u/<tenant>.<secret>``: the tenant lets the public entrypoint find the
council's database without a key; the token (the kernel's ``tokens.new_public_token``) is stored
only as its ``token_digest``, next to the participant id. ``GET`` only shows a confirmation page,
because mail scanners follow links; ``POST`` (the page's button, or a mail client's RFC 8058
one-click ``List-Unsubscribe=One-Click``) withdraws, announcing ``consent.withdrawn`` once per
link; intake owns consent and applies it. A link that leads nowhere gets a 404 page, never a
hint of whose it was.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from services.common.council import CouncilView
from services.common.http import html_response
from services.notifications import pages, webhook_store
from services.notifications.storage import USED, UnsubscribeTokens


def confirmation_page(token: str, *, tokens: UnsubscribeTokens, council: CouncilView) -> Response:
    """The page a link opens: a button to confirm, or "already done"."""
    found = tokens.find(token) if council.registered else None
    if found is None:
        return html_response(404, pages.render(pages.UNKNOWN))
    state = pages.ALREADY if found["state"] == USED else pages.CONFIRM
    return html_response(200, pages.render(state, council.name, found["lang"]))


def withdraw(token: str, *, tokens: UnsubscribeTokens, council: CouncilView) -> Response:
    """Withdraw contact consent (once per link); the page says whether it was done now or before."""
    found = tokens.find(token) if council.registered else None
    if found is None:
        return html_response(404, pages.render(pages.UNKNOWN))
    state = pages.DONE if tokens.use(found, also=webhook_store.fan_out) else pages.ALREADY
    return html_response(200, pages.render(state, council.name, found["lang"]))
