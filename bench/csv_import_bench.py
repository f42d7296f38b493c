"""How fast intake imports a participants CSV (POST /v1/imports/participants).

Starts intake as a `nameko run` process (as `make run` does) on a fresh embedded MongoDB and a fresh
RabbitMQ vhost, generates a file of N rows (every other row enrolled in a cohort), and measures:
- the import request, end to end (upload, parsing and checking each row, encrypting personal
  data, bulk writes of participants, enrolments and outbox entries in batches of 500);
- uploading the same file again (every row a duplicate: nothing written);
- intake's resident memory before and after.
Writes bench/results/csv_import.json. Run: .venv/bin/python bench/csv_import_bench.py [N]
"""
from __future__ import annotations

import csv
import io
import sys
import time
from pathlib import Path

import harness
import pymongo
import requests
from harness import TENANT, bench_stack, rss_mib

from services.common.tenancy import database_name

RESULTS = Path(__file__).with_name("results") / "csv_import.json"
HEADER = ["given_name", "family_name", "email", "phone", "preferred_language", "role", "employer_id",
          "occupation_noc", "years_in_canada", "consent_version", "consent_surveys", "consent_research",
          "consent_contact", "cohort_id", "enrolment_role"]
ROLES = ("newcomer", "manager", "hr_leader", "senior_leader")


def csv_file(count: int, employer_id: str, cohort_id: str) -> bytes:
    """``count`` distinct participants; every other one enrolled in the cohort."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(count):
        writer.writerow([f"Given{i}", f"Family{i}", f"person{i}@example.org", f"+1 416 555 {i % 10000:04d}",
                         "fr" if i % 3 == 0 else "en", ROLES[i % len(ROLES)], employer_id if i % 4 else "",
                         f"{21231 + i % 50}", str(i % 30), "2026-01", "true", "yes" if i % 2 else "no", "1",
                         cohort_id if i % 2 else "", ""])
    return text.getvalue().encode()


def setup_council(session: requests.Session, base: str) -> tuple[str, str]:
    """An employer and an open cohort to name in the file."""
    employer = session.post(f"{base}/v1/employers", json={"name": "Maple Foods", "sector": "Food",
                                                          "employee_count": 60, "city": "Toronto"}).json()
    program = session.post(f"{base}/v1/programs", json={"name": "CAIP", "kind": "caip",
                                                         "sessions_planned": 6}).json()
    cohort = session.post(f"{base}/v1/cohorts", json={
        "program_id": program["id"], "name": "Spring", "employer_ids": [employer["id"]],
        "start_date": "2026-03-01", "end_date": "2026-04-30", "delivery": "hybrid",
        "facilitated_by": "council",
        "sessions": [{"date": f"2026-03-{day:02d}", "topic": f"S{day}"} for day in range(1, 7)]}).json()
    return employer["id"], cohort["id"]


def timed_upload(session: requests.Session, base: str, body: bytes) -> tuple[float, dict]:
    started = time.perf_counter()
    answer = session.post(f"{base}/v1/imports/participants", data=body,
                          headers={"Content-Type": "text/csv"}, timeout=600)
    elapsed = time.perf_counter() - started
    answer.raise_for_status()
    return elapsed, answer.json()


def run(count: int) -> dict:
    with bench_stack(services=("intake",)) as bench:
        return measure(bench.processes.urls["intake"], bench.key, bench.client, count,
                       bench.processes.pids()["intake"])


def measure(base: str, key: str, client: pymongo.MongoClient, count: int, pid: int) -> dict:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    employer_id, cohort_id = setup_council(session, base)
    body = csv_file(count, employer_id, cohort_id)
    idle = rss_mib(pid)
    first_seconds, first = timed_upload(session, base, body)
    after = rss_mib(pid)
    again_seconds, again = timed_upload(session, base, body)
    db = client[database_name(TENANT, "intake")]
    assert first == {"accepted": count, "rejected": [], "duplicates": 0}, first
    assert again == {"accepted": 0, "rejected": [], "duplicates": count}, again
    return {"rows": count, "file_bytes": len(body), "enrolled_rows": count // 2,
            "import_seconds": round(first_seconds, 2), "rows_per_second": round(count / first_seconds),
            "reupload_seconds": round(again_seconds, 2),
            "documents_written": {name: db[name].count_documents({})
                                  for name in ("participants", "enrolments", "outbox")},
            "rss_mib_before": idle, "rss_mib_after": after}


if __name__ == "__main__":
    sys.exit(harness.main(run, RESULTS, 10_000, sys.argv))
