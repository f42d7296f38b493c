"""One transaction at a time per database, across the processes of this machine (embedded server only).

nx-27017 runs every session of a database on one SQLite connection: a transaction opened while
another is open becomes a savepoint inside it, so an abort or commit of one changes the other
(docs/storage.md). MongoDB isolates transactions and needs none of this; ``Runtime.transaction_guard``
uses it only when the server is not a replica set, which in practice means the embedded server.

Within a process a semaphore orders the greenthreads; across processes (two replicas of a service
in tests, or the four services, which only share the registry) an ``flock`` on a file per
database does. ``flock`` would block eventlet's hub, so it is polled without blocking.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from pathlib import Path
from types import TracebackType

import eventlet
from eventlet.semaphore import Semaphore

_POLL_SECONDS = (0.001, 0.002, 0.005, 0.01, 0.02)


def lock_directory(server: str) -> Path:
    """Where the lock files of one database server live (one directory per server address)."""
    digest = hashlib.sha256(server.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / "iec-transaction-locks" / digest
    path.mkdir(parents=True, exist_ok=True)
    return path


def lock_file(server: str, database: str) -> Path:
    """The lock file of one database of one server: every writer to that database takes this one."""
    return lock_directory(server) / f"{database}.lock"


class SerialTransactions:
    """A context manager held around a transaction on one database."""

    def __init__(self, lock_file: Path):
        self._lock_file = lock_file
        self._local = Semaphore(1)
        self._fd: int | None = None

    def __enter__(self) -> SerialTransactions:
        self._local.acquire()
        try:
            self._fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
            self._lock(self._fd)
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._release()

    @staticmethod
    def _lock(fd: int) -> None:
        attempt = 0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                eventlet.sleep(_POLL_SECONDS[min(attempt, len(_POLL_SECONDS) - 1)])
                attempt += 1

    def _release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None
        self._local.release()
