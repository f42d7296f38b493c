"""The four services as separate `nameko run` processes, on the test session's broker and Mongo."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.cli.infra import SERVICES, MailSink, free_port, running_services, service_env
from tests.support.caip import FAST_TIMERS, Stack
from tests.support.servers import mongo_for_tests


@pytest.fixture(scope="module")
def e2e_mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    """One SMTP server for the whole module: the services keep their configuration."""
    with MailSink(tmp_path_factory.mktemp("mail"), port=free_port()) as sink:
        yield sink


@pytest.fixture(scope="module")
def e2e_mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A MongoDB of the module's own (or MONGO_URI): the services' timers and relays visit every
    registered tenant, and the rest of the suite registers hundreds."""
    with mongo_for_tests(tmp_path_factory.mktemp("e2e-mongo")) as uri:
        yield uri


@pytest.fixture(scope="module")
def stack(amqp_uri: str, e2e_mongo_uri: str, e2e_mail: MailSink,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The four services, started and ready; stopped after the module."""
    ports = {svc: free_port() for svc in SERVICES}
    env = service_env(amqp_uri, e2e_mongo_uri, smtp_port=e2e_mail.port, ports=ports, **FAST_TIMERS)
    with running_services(env, tmp_path_factory.mktemp("logs"), ports) as processes:
        yield Stack(env=env, urls=processes.urls)
