"""Transactions on the embedded server run one at a time per database, even across processes."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import eventlet

from services.common.serial import SerialTransactions, lock_directory


def test_two_holders_of_one_database_lock_never_overlap(tmp_path):
    lock_file = tmp_path / "iec_t_intake.lock"
    # two instances stand for two processes: each opens its own descriptor, as a process would
    first, second = SerialTransactions(lock_file), SerialTransactions(lock_file)
    timeline: list[str] = []

    def hold(guard: SerialTransactions, name: str) -> None:
        with guard:
            timeline.append(f"{name} in")
            eventlet.sleep(0.05)
            timeline.append(f"{name} out")

    pool = eventlet.GreenPool()
    pool.spawn(hold, first, "a")
    eventlet.sleep(0.01)
    pool.spawn(hold, second, "b")
    pool.waitall()
    assert timeline == ["a in", "a out", "b in", "b out"]


def test_another_process_waits_for_the_lock(tmp_path):
    lock_file = tmp_path / "db.lock"
    script = textwrap.dedent(f"""
        import fcntl, os, time
        fd = os.open({str(lock_file)!r}, os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        print("held", flush=True)
        time.sleep(0.5)
    """)
    other = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert other.stdout.readline().strip() == "held"
    started = eventlet.hubs.get_hub().clock()
    with SerialTransactions(lock_file):
        waited = eventlet.hubs.get_hub().clock() - started
    other.wait(timeout=5)
    assert waited > 0.2


def test_each_database_server_has_its_own_lock_directory():
    assert lock_directory("mongodb://127.0.0.1:1/") != lock_directory("mongodb://127.0.0.1:2/")
