"""``iec``: the operator's command line (API.md, CLI).

Talks to MongoDB (``MONGO_URI``) and RabbitMQ (``AMQP_URI``) directly; the services need not run,
except for ``iec stack`` which runs them.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator

from pymongo import MongoClient

from services.common import deadletter
from services.common.config import DEFAULT_AMQP_URI, DEFAULT_MONGO_URI
from services.common.tenancy import ROLES, TenantExists, TenantRegistry, UnknownTenant, database_name


def _mongo() -> MongoClient:
    """A client of MONGO_URI's MongoDB, for one command (use it in ``with``: it is closed after)."""
    return MongoClient(os.environ.get("MONGO_URI") or DEFAULT_MONGO_URI, serverSelectionTimeoutMS=5000)


@contextlib.contextmanager
def _registry() -> Iterator[TenantRegistry]:
    with _mongo() as client:
        yield TenantRegistry(client)


def _amqp_uri() -> str:
    return os.environ.get("AMQP_URI") or DEFAULT_AMQP_URI


def tenant_create(args: argparse.Namespace) -> int:
    """Register a council."""
    languages = [lang.strip() for lang in args.languages.split(",") if lang.strip()]
    with _registry() as registry:
        registry.create_tenant(args.tenant_id, name=args.name, city=args.city, timezone=args.timezone,
                               languages=languages)
    summary = f"{args.name}, {args.city}, {args.timezone}, {','.join(languages)}"
    print(f"tenant {args.tenant_id} created ({summary})")
    return 0


def key_create(args: argparse.Namespace) -> int:
    """Make an API key (a council's, with a role; or a funder's) and print it once."""
    if args.funder and (args.tenant_id or args.role):
        print("give either <tenant> --role <role>, or --funder <name>", file=sys.stderr)
        return 2
    if not args.funder and not (args.tenant_id and args.role):
        print("give <tenant> --role <role>, or --funder <name>", file=sys.stderr)
        return 2
    with _registry() as registry:
        if args.funder:
            key_id, key = registry.create_funder_key(args.funder)
            role = f"funder ({args.funder})"
        else:
            key_id, key = registry.create_key(args.tenant_id, args.role)
            role = args.role
    print(f"key id: {key_id}\nrole:   {role}\nkey:    {key}\n(shown once: store it now)")
    return 0


def funder_grant(args: argparse.Namespace) -> int:
    """Let a funder see a council's aggregate figures."""
    with _registry() as registry:
        granted = registry.grant_funder(args.tenant_id, args.funder)
    print(f"{args.funder} {'may now see' if granted else 'could already see'} {args.tenant_id}'s aggregates")
    return 0


def key_revoke(args: argparse.Namespace) -> int:
    """Revoke a key by its id."""
    with _registry() as registry:
        revoked = registry.revoke_key(args.key_id)
    if not revoked:
        print(f"no active key {args.key_id}", file=sys.stderr)
        return 1
    print(f"key {args.key_id} revoked")
    return 0


def dlq_list(args: argparse.Namespace) -> int:
    """Print the dead letters, one JSON object a line."""
    for letter in deadletter.list_dead_letters(_amqp_uri(), limit=args.limit):
        print(json.dumps(letter))
    return 0


def dlq_replay(args: argparse.Namespace) -> int:
    """Send dead letters back to the queues that failed them."""
    if not args.all and not args.id:
        print("give a dead letter's id, or --all", file=sys.stderr)
        return 2
    count = deadletter.replay_dead_letters(_amqp_uri(), None if args.all else args.id)
    print(f"replayed {count}")
    return 0 if count or args.all else 1


def subscribe(args: argparse.Namespace) -> int:
    """Print a council's outcome events as JSON lines until interrupted (docs/outcomes.md)."""
    import logging
    import signal

    from services.reporting.subscriber import OutcomeSubscriber, SubscriptionRefused

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="[iec subscribe] %(message)s")
    logging.getLogger("services.reporting.subscriber").setLevel(logging.INFO)
    logging.getLogger("pika").setLevel(logging.CRITICAL)  # the client says what matters, once
    types = [kind.strip() for kind in (args.types or "").split(",") if kind.strip()]
    subscriber = OutcomeSubscriber(args.url, args.tenant, lambda event: print(json.dumps(event), flush=True),
                                   types=types, queue=args.queue)
    signal.signal(signal.SIGTERM, lambda *_: subscriber.stop())
    try:
        subscriber.run()
    except KeyboardInterrupt:
        subscriber.stop()
    except SubscriptionRefused as exc:
        print(f"refused by the broker: {exc}", file=sys.stderr)
        return 1
    return 0


def reporting_rebuild(args: argparse.Namespace) -> int:
    """Replay a council's reporting event log into fresh projections (services/reporting/rebuild.py)."""
    from services.reporting.rebuild import rebuild  # imported late: only this command needs reporting

    with _mongo() as client:
        if TenantRegistry(client).get_tenant(args.tenant_id) is None:
            raise UnknownTenant(args.tenant_id)
        count = rebuild(client[database_name(args.tenant_id, "reporting")])
    print(f"reporting projections of {args.tenant_id} rebuilt from {count} events")
    return 0


def stack(args: argparse.Namespace) -> int:
    """Run the local stack (``make run``)."""
    from services.cli.stack import run_stack  # imported late: it pulls in the dev-only machinery

    return run_stack(demo=not args.no_demo)


def build_parser() -> argparse.ArgumentParser:
    """The ``iec`` argument parser."""
    parser = argparse.ArgumentParser(prog="iec", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    tenant = commands.add_parser("tenant", help="councils").add_subparsers(dest="action", required=True)
    create = tenant.add_parser("create", help="register a council")
    create.add_argument("tenant_id")
    create.add_argument("--name", required=True)
    create.add_argument("--city", required=True)
    create.add_argument("--timezone", default="America/Toronto")
    create.add_argument("--languages", default="en,fr")
    create.set_defaults(func=tenant_create)

    key = commands.add_parser("key", help="API keys").add_subparsers(dest="action", required=True)
    make = key.add_parser("create", help="make a key (printed once): <tenant> --role, or --funder")
    make.add_argument("tenant_id", nargs="?")
    make.add_argument("--role", choices=ROLES)
    make.add_argument("--funder", help="a funder's key: aggregates over the councils that granted it")
    make.set_defaults(func=key_create)
    revoke = key.add_parser("revoke", help="revoke a key")
    revoke.add_argument("key_id")
    revoke.set_defaults(func=key_revoke)

    funder = commands.add_parser("funder", help="funders").add_subparsers(dest="action", required=True)
    grant = funder.add_parser("grant", help="let a funder see a council's aggregates")
    grant.add_argument("tenant_id")
    grant.add_argument("--funder", required=True)
    grant.set_defaults(func=funder_grant)

    dlq = commands.add_parser("dlq", help="dead letters").add_subparsers(dest="action", required=True)
    listing = dlq.add_parser("list", help="show dead letters")
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(func=dlq_list)
    replay = dlq.add_parser("replay", help="replay one dead letter, or all")
    replay.add_argument("id", nargs="?")
    replay.add_argument("--all", action="store_true")
    replay.set_defaults(func=dlq_replay)

    sub = commands.add_parser("subscribe", help="print a council's outcome events as JSON lines")
    sub.add_argument("--url", required=True, help="the amqp_url POST /v1/subscribers gave")
    sub.add_argument("--tenant", required=True, help="the council whose events to read")
    sub.add_argument("--types", help="comma-separated event types (default: all outcome events)")
    sub.add_argument("--queue", help="a durable queue of this name keeps events while away")
    sub.set_defaults(func=subscribe)

    reporting = commands.add_parser("reporting", help="reporting's projections").add_subparsers(
        dest="action", required=True)
    rebuild = reporting.add_parser("rebuild", help="replay a council's event log into fresh projections")
    rebuild.add_argument("tenant_id")
    rebuild.set_defaults(func=reporting_rebuild)

    run = commands.add_parser("stack", help="run RabbitMQ, Mongo, an SMTP sink and the four services")
    run.add_argument("--no-demo", action="store_true", help="do not create the demo tenant")
    run.set_defaults(func=stack)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``iec`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except TenantExists as exc:
        print(f"tenant {exc} exists already", file=sys.stderr)
    except UnknownTenant as exc:
        print(f"no tenant {exc}", file=sys.stderr)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
