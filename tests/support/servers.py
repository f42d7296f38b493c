"""The MongoDB a test tier runs against: ``MONGO_URI`` when set, else an embedded server of its own."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.cli.infra import EmbeddedMongo, free_port


@contextmanager
def mongo_for_tests(root: Path) -> Iterator[str]:
    """Yield a Mongo URI: ``MONGO_URI`` (a real MongoDB), or nx-27017 on a free port under ``root``."""
    if os.environ.get("MONGO_URI"):
        yield os.environ["MONGO_URI"]
        return
    with EmbeddedMongo(free_port(), root / "data", root / "log") as mongo:
        yield mongo.uri
