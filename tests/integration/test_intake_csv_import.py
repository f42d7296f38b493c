"""intake's CSV import over HTTP, real RabbitMQ and the Mongo server: POST /v1/imports/participants.

A file registers its good rows (and enrols those naming a cohort), reports its bad rows by line,
skips emails registered already, and is refused whole (nothing written) when its header is wrong
or its body is over 10 MB.
"""
from __future__ import annotations

import csv
import io
import secrets
import time
from collections import Counter

import pytest
import requests

from services.intake.imports import MAX_BODY
from tests.integration.intake_support import created, employer, intake_db, published, sme_cohort, stored
from tests.support.http import Api

PATH = "/v1/imports/participants"
HEADER = ["given_name", "family_name", "email", "phone", "preferred_language", "role", "employer_id",
          "occupation_noc", "years_in_canada", "consent_version", "consent_surveys", "consent_research",
          "consent_contact", "cohort_id", "enrolment_role"]
COLUMNS = HEADER[:13] + ["mentor_capacity", "cohort_id", "enrolment_role"]  # ImportRowSchema's fields


def row(**cells) -> dict:
    """A good row (a newcomer with a fresh email), with ``cells`` changed."""
    return {"given_name": "Amina", "family_name": "Haddad", "email": f"a.{secrets.token_hex(4)}@example.org",
            "phone": "", "preferred_language": "fr", "role": "newcomer", "employer_id": "",
            "occupation_noc": "21231", "years_in_canada": "3", "consent_version": "2026-01",
            "consent_surveys": "true", "consent_research": "false", "consent_contact": "yes",
            "cohort_id": "", "enrolment_role": "", **cells}


def csv_bytes(rows: list[dict], header: list[str] = HEADER) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def lines_of(rows: list[dict]) -> bytes:
    """Rows as CSV lines, without a header."""
    return csv_bytes(rows)[len(csv_bytes([])):]


def upload(api: Api, body, content_type: str = "text/csv", timeout: float = 60) -> requests.Response:
    headers = {"Authorization": f"Bearer {api.key}", "Content-Type": content_type}
    return requests.post(api.base_url + PATH, data=body, headers=headers, timeout=timeout)


def imported(answer: requests.Response) -> dict:
    assert answer.status_code == 200, answer.text
    return answer.json()


def event_counts(mongo_client, tenant_id: str) -> Counter:
    outbox = intake_db(mongo_client, tenant_id)["outbox"]
    return Counter(entry["type"] for entry in outbox.find({}, {"type": 1}))


def nothing_written(mongo_client, tenant_id: str) -> bool:
    """No participant, enrolment or event of the tenant is stored."""
    return all(stored(mongo_client, tenant_id, c) == 0 for c in ("participants", "enrolments", "outbox"))


# --- good files ---------------------------------------------------------------------------------

def test_each_row_of_a_file_becomes_a_registered_participant_and_a_cohort_column_enrols_them(
        intake, mongo_client, tenant):
    acme, cohort = employer(intake), sme_cohort(intake)
    before = event_counts(mongo_client, tenant["id"])
    rows = [row(given_name="Li", family_name="Wei", phone="+1 416 555 0101", employer_id=acme["id"],
                role="manager", years_in_canada="", consent_surveys="Yes", consent_research="1",
                consent_contact="FALSE"),
            row(cohort_id=cohort["id"]),
            row(role="manager", cohort_id=cohort["id"], enrolment_role="senior_leader")]
    assert imported(upload(intake, csv_bytes(rows))) == {"accepted": 3, "rejected": [], "duplicates": 0}

    registered = published(mongo_client, tenant["id"], "participant.registered")
    first = intake.get(f"/v1/participants/{registered[0]['participant_id']}").json()
    assert {k: first[k] for k in ("given_name", "family_name", "email", "phone", "role", "employer_id",
                                  "occupation_noc", "years_in_canada", "preferred_language")} == {
        "given_name": "Li", "family_name": "Wei", "email": rows[0]["email"], "phone": "+1 416 555 0101",
        "role": "manager", "employer_id": acme["id"], "occupation_noc": "21231", "years_in_canada": None,
        "preferred_language": "fr"}
    assert {k: first["consent"][k] for k in ("version", "surveys", "research", "contact")} == {
        "version": "2026-01", "surveys": True, "research": True, "contact": False}
    assert registered[0] == {
        "participant_id": first["id"], "role": "manager", "employer_id": acme["id"],
        "occupation_noc": "21231", "years_in_canada": None, "preferred_language": "fr",
        "consent": {"surveys": True, "research": True, "contact": False}}

    enrolled = intake.get(f"/v1/cohorts/{cohort['id']}").json()["enrolments"]
    assert [(e["participant_id"], e["role"]) for e in enrolled] == [
        (registered[1]["participant_id"], "newcomer"), (registered[2]["participant_id"], "senior_leader")]
    assert [(e["participant_id"], e["cohort_id"], e["role"], e["program_kind"])
            for e in published(mongo_client, tenant["id"], "participant.enrolled")] == [
        (registered[1]["participant_id"], cohort["id"], "newcomer", "caip_sme"),
        (registered[2]["participant_id"], cohort["id"], "senior_leader", "caip_sme")]
    assert event_counts(mongo_client, tenant["id"]) - before == Counter(
        {"participant.registered": 3, "participant.enrolled": 2})


def test_a_spreadsheet_export_with_a_bom_spaces_any_column_order_and_blank_lines_imports(
        intake, mongo_client, tenant):
    header = list(reversed(HEADER))
    body = csv_bytes([row(given_name="  Ana  "), row()], header)
    body = b"\xef\xbb\xbf" + body.replace(b"given_name", b" Given_Name ") + b"\r\n,,,,,,,,,,,,,,\r\n\r\n"
    assert imported(upload(intake, body, "text/csv; charset=UTF-8")) == {
        "accepted": 2, "rejected": [], "duplicates": 0}
    first = published(mongo_client, tenant["id"], "participant.registered")[0]["participant_id"]
    assert intake.get(f"/v1/participants/{first}").json()["given_name"] == "Ana"


def test_optional_columns_may_be_left_out_of_the_header(intake, mongo_client, tenant):
    required = [name for name in HEADER if name not in ("phone", "employer_id", "years_in_canada",
                                                        "cohort_id", "enrolment_role")]
    good = {k: v for k, v in row().items() if k in required}
    assert imported(upload(intake, csv_bytes([good], required)))["accepted"] == 1
    assert stored(mongo_client, tenant["id"], "participants") == 1


# --- bad rows -----------------------------------------------------------------------------------

def test_good_rows_are_written_and_bad_rows_are_reported_by_line_with_every_error(
        intake, mongo_client, tenant, other_council):
    theirs = Api(intake.base_url, other_council["staff"])
    their_employer, their_cohort = employer(theirs), sme_cohort(theirs)
    done = sme_cohort(intake)
    assert intake.post(f"/v1/cohorts/{done['id']}/complete", {}).status_code == 200
    lines = [
        row(),                                                                         # 2: good
        row(email="not-an-email", occupation_noc="123", years_in_canada="three",       # 3
            consent_surveys="maybe", preferred_language="de"),
        row(given_name="", consent_version=""),                                        # 4
        row(employer_id=their_employer["id"], cohort_id=their_cohort["id"]),           # 5
        row(cohort_id=done["id"]),                                                     # 6
        row(enrolment_role="mentor"),                                                  # 7
        row(given_name="Line\nbreak"),                                                 # 8-9: good
        row(years_in_canada="200", role="boss"),                                       # 10
    ]
    body = csv_bytes(lines)
    body += b"Short,row\r\n"                                                           # 11
    body += lines_of([row(family_name="Ha-ddad")]).replace(b"Ha-ddad", b"Ha\xffddad")  # 12
    body += b'Amina,"Had"dad\r\n'                                                      # 13
    body += lines_of([row()])                                                          # 14: good
    answer = imported(upload(intake, body))
    assert answer == {"accepted": 3, "duplicates": 0, "rejected": [
        {"row": 3, "errors": {"email": ["Not a valid email address."],
                              "occupation_noc": ["Must be a NOC code of 5 digits."],
                              "years_in_canada": ["Not a valid integer."],
                              "consent_surveys": ["Not a valid boolean."],
                              "preferred_language": ["Must be one of: en, fr."]}},
        {"row": 4, "errors": {"given_name": ["Missing data for required field."],
                              "consent_version": ["Missing data for required field."]}},
        {"row": 5, "errors": {"employer_id": ["Unknown employer."], "cohort_id": ["Unknown cohort."]}},
        {"row": 6, "errors": {"cohort_id": ["The cohort is completed."]}},
        {"row": 7, "errors": {"enrolment_role": ["Needs a cohort_id."]}},
        {"row": 10, "errors": {"years_in_canada": ["Must be greater than or equal to 0 and less than or "
                                                   "equal to 80."],
                               "role": ["Must be one of: newcomer, manager, hr_leader, senior_leader, "
                                        "trainer, mentor, mentee."]}},
        {"row": 11, "errors": {"_schema": ["Expected 15 cells, found 2."]}},
        {"row": 12, "errors": {"family_name": ["Not UTF-8 text."]}},
        {"row": 13, "errors": {"_schema": ["Not valid CSV: ',' expected after '\"'."]}},
    ]}
    assert stored(mongo_client, tenant["id"], "participants") == 3
    registered = published(mongo_client, tenant["id"], "participant.registered")
    assert len(registered) == 3
    names = [intake.get(f"/v1/participants/{r['participant_id']}").json()["given_name"] for r in registered]
    assert names == ["Amina", "Line\nbreak", "Amina"]
    assert stored(mongo_client, other_council["id"], "participants") == 0


def test_a_file_of_bad_rows_only_writes_nothing(intake, mongo_client, tenant):
    answer = imported(upload(intake, csv_bytes([row(role="boss"), row(email="")])))
    assert (answer["accepted"], [r["row"] for r in answer["rejected"]]) == (0, [2, 3])
    assert nothing_written(mongo_client, tenant["id"])


# --- bad files ----------------------------------------------------------------------------------

HEADER_REFUSED = "the header row does not name the participant columns"


@pytest.mark.parametrize(("header", "message", "fields"), [
    (b"", "the file is empty", {"_schema": ["Expected a header row."]}),
    (",".join(HEADER + ["nickname"]).encode() + b"\r\n", HEADER_REFUSED, {"nickname": ["Unknown column."]}),
    (csv_bytes([], [n for n in HEADER if n not in ("email", "consent_surveys")]), HEADER_REFUSED,
     {"email": ["Missing column."], "consent_surveys": ["Missing column."]}),
    (csv_bytes([], HEADER + ["EMAIL", ""]), HEADER_REFUSED,
     {"email": ["Named more than once."], "_schema": ["Column 17 has no name."]}),
    (lines_of([row()]), HEADER_REFUSED, {"_schema": [f"Expected a header row naming the columns "
                                                     f"({', '.join(COLUMNS)})."]}),
    (b"given_name,f\xffamily\r\n", "the header row is not UTF-8 text", {"_schema": ["Expected UTF-8 text."]}),
    (b'"given_name,family_name\r\n', "the header row is not valid CSV",
     {"_schema": ["unexpected end of data."]}),
])
def test_a_file_whose_header_is_wrong_is_refused_whole(intake, mongo_client, tenant, header, message, fields):
    answer = upload(intake, header + lines_of([row(), row()]) if header else b"")
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"error": "VALIDATION_ERROR", "message": message, "fields": fields}
    assert nothing_written(mongo_client, tenant["id"])


@pytest.mark.parametrize(("content_type", "fields"), [
    ("application/json", {"_schema": ["Expected text/csv."]}),
    ("text/plain", {"_schema": ["Expected text/csv."]}),
    ("text/csv; charset=latin-1", {"_schema": ["Expected UTF-8 text."]}),
])
def test_a_body_that_is_not_utf8_csv_is_refused(intake, mongo_client, tenant, content_type, fields):
    answer = upload(intake, csv_bytes([row()]), content_type)
    assert answer.status_code == 400, answer.text
    assert answer.json()["fields"] == fields
    assert nothing_written(mongo_client, tenant["id"])


def test_only_staff_import(intake, mongo_client, tenant):
    assert upload(intake.with_key(tenant["analyst"]), csv_bytes([row()])).status_code == 403
    assert upload(intake.with_key("nope"), csv_bytes([row()])).status_code == 401
    assert upload(intake.with_key(tenant["admin"]), csv_bytes([row()])).status_code == 200
    assert stored(mongo_client, tenant["id"], "participants") == 1


# --- duplicates ---------------------------------------------------------------------------------

def test_uploading_a_file_again_registers_nobody_twice(intake, mongo_client, tenant):
    cohort = sme_cohort(intake)
    body = csv_bytes([row(), row(cohort_id=cohort["id"]), row(role="boss")])
    first = imported(upload(intake, body))
    assert (first["accepted"], first["duplicates"]) == (2, 0)
    counts = event_counts(mongo_client, tenant["id"])
    again = imported(upload(intake, body))
    assert again == {"accepted": 0, "rejected": first["rejected"], "duplicates": 2}
    assert stored(mongo_client, tenant["id"], "participants") == 2
    assert stored(mongo_client, tenant["id"], "enrolments") == 1
    assert event_counts(mongo_client, tenant["id"]) == counts


def test_an_email_registered_already_or_earlier_in_the_file_is_a_duplicate_whatever_the_case(
        intake, mongo_client, tenant):
    known = row()
    body = {"given_name": "Li", "family_name": "Wei", "email": known["email"], "preferred_language": "en",
            "role": "newcomer", "occupation_noc": "21231",
            "consent": {"version": "2026-01", "surveys": True, "research": True, "contact": True}}
    created(intake.post("/v1/participants", body))
    twice = row()
    rows = [dict(known, email=known["email"].upper(), given_name="Other"), twice,
            dict(twice, email=f" {twice['email'].title()}"), row()]
    assert imported(upload(intake, csv_bytes(rows))) == {"accepted": 2, "rejected": [], "duplicates": 2}
    assert stored(mongo_client, tenant["id"], "participants") == 3


# --- limits and volume --------------------------------------------------------------------------

def oversized_csv() -> bytes:
    """Good rows first, then rows too long to register, past MAX_BODY: a file to refuse whole."""
    good = csv_bytes([row() for _ in range(50)])
    filler = lines_of([row(given_name="y" * 100_000)])
    body = good + filler * ((MAX_BODY - len(good)) // len(filler))
    body += b"\n" * (MAX_BODY + 1 - len(body))  # blank lines
    assert len(body) == MAX_BODY + 1
    return body


def test_a_body_over_10_mb_is_413_and_writes_nothing(intake, mongo_client, tenant):
    answer = upload(intake, oversized_csv())
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"] == "TOO_LARGE"
    assert nothing_written(mongo_client, tenant["id"])


def test_a_chunked_body_over_10_mb_is_413_and_writes_nothing_though_its_first_rows_were_good(
        intake, mongo_client, tenant):
    body = oversized_csv()
    chunks = (body[i:i + 65536] for i in range(0, len(body), 65536))
    answer = upload(intake, chunks)
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"] == "TOO_LARGE"
    assert nothing_written(mongo_client, tenant["id"])


def test_a_body_of_exactly_10_mb_is_accepted(intake, mongo_client, tenant):
    body = oversized_csv()[:-1]
    chunks = (body[i:i + 65536] for i in range(0, len(body), 65536))
    answer = imported(upload(intake, chunks))
    assert (answer["accepted"], answer["duplicates"]) == (50, 0)
    assert stored(mongo_client, tenant["id"], "participants") == 50


def test_two_thousand_rows_import_in_one_request(intake, mongo_client, tenant):
    cohort = sme_cohort(intake)
    rows = [row(email=f"p{i}.{secrets.token_hex(3)}@example.org", cohort_id=cohort["id"] if i % 2 else "")
            for i in range(2000)]
    started = time.perf_counter()
    answer = imported(upload(intake, csv_bytes(rows)))
    elapsed = time.perf_counter() - started
    assert answer == {"accepted": 2000, "rejected": [], "duplicates": 0}
    assert stored(mongo_client, tenant["id"], "participants") == 2000
    assert stored(mongo_client, tenant["id"], "enrolments") == 1000
    counts = event_counts(mongo_client, tenant["id"])
    assert (counts["participant.registered"], counts["participant.enrolled"]) == (2000, 1000)
    print(f"2000 rows imported in {elapsed:.2f} s")  # speed is measured in bench/, not asserted
