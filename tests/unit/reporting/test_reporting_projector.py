"""Indicators from known event streams, through the projector (in memory): every figure exactly.

The rich stream (reporting_streams.rich_stream) has one of everything; its expected figures are worked
out by hand in the comments of reporting_streams.EXPECTED.
"""
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.common.clock import stamp
from services.reporting import figures, projector, rebuild, storage
from tests.unit.reporting.reporting_fakes import FakeDb
from tests.unit.reporting.reporting_streams import EXPECTED, Council, day, rich_stream

AS_OF = "2026-03-01T00:00:00.000Z"
ALL = {"suppress_below": 0}


def project(events, emitted=None, db=None):
    db = FakeDb() if db is None else db
    for _, event in events:
        projector.apply(db, event, emit=None if emitted is None else lambda t, d: emitted.append((t, d)))
    return db


def answer(db, **query):
    answered = figures.indicators_answer(storage.load_snapshot(db), query, AS_OF)
    return {row["id"]: row for row in answered["indicators"]}


def numbers(rows):
    return {key: (row["numerator"], row["denominator"], row["invited"]) for key, row in rows.items()}


def test_every_indicator_of_a_rich_stream_has_its_exact_numerator_and_denominator():
    assert numbers(answer(project(rich_stream().events), **ALL)) == EXPECTED


def test_a_row_carries_rate_wilson_interval_and_response_rate():
    row = answer(project(rich_stream().events), **ALL)["I2"]
    assert row == {"id": "I2", "name": "Satisfaction", "numerator": 4, "denominator": 6, "rate": 0.6667,
                   "ci95": [0.3, 0.9032], "invited": 9, "response_rate": 0.7778, "suppressed": False}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_events_in_any_order_give_the_same_figures(seed):
    events = rich_stream().events
    shuffled = random.Random(seed).sample(events, len(events))
    in_order, any_order = project(events), project(shuffled)
    for query in (ALL, {**ALL, "role": "newcomer"}, {**ALL, "employer_size": "medium"}):
        assert answer(any_order, **query) == answer(in_order, **query)


def test_an_event_applied_twice_changes_nothing():
    events = rich_stream().events
    db = project(events)
    before = answer(db, **ALL)
    project(events[::7], db=db)
    assert answer(db, **ALL) == before


def test_rebuilding_from_the_event_log_gives_the_live_figures():
    db = project(rich_stream().events)
    queries = [ALL, {**ALL, "program_kind": "caip", "role": "leaders"}, {**ALL, "occupation": "1"},
               {**ALL, "ended_from": "2025-07-01"}, {}]
    live = [answer(db, **query) for query in queries]
    live_cells = sorted(storage.load_snapshot(db).cells, key=lambda cell: cell["_id"])
    assert rebuild.replay(db) == len(rich_stream().events)
    assert [answer(db, **query) for query in queries] == live
    assert sorted(storage.load_snapshot(db).cells, key=lambda cell: cell["_id"]) == live_cells


@pytest.mark.parametrize(("query", "expected"), [
    ({"role": "newcomer"}, {"I1": (5, 7, None), "I2": (2, 3, 5)}),  # 3 of 5 in caip, 2 of 2 in caip_sme
    ({"role": "leaders"}, {"I1": (2, 2, None), "I2": (1, 1, 2)}),
    ({"employer_size": "medium"}, {"I1": (3, 4, None), "I2": (2, 2, 4)}),
    ({"preferred_language": "fr"}, {"I1": (2, 3, None), "I2": (1, 1, 3)}),
    ({"years_in_canada": "11+"}, {"I1": (3, 3, None), "I2": (2, 2, 3)}),
    ({"occupation": "1"}, {"I1": (2, 3, None), "I2": (2, 2, 3)}),
    ({"program_kind": "caip_sme"}, {"I1": (4, 4, None), "I2": (0, 0, 0), "I12": (0, 0, None)}),
    ({"ended_from": "2025-07-01"}, {"I1": (4, 4, None), "I2": (0, 0, 0)}),
    ({"ended_to": "2025-06-30", "wave": "fu12"}, {"I7": (2, 4, 4), "I2": (0, 0, 0), "I13": (5, 5, 5)}),
    ({"program_kind": "caip", "role": "newcomer", "employer_size": "medium"},
     {"I1": (1, 2, None), "I2": (1, 1, 2)}),
    ({"employer_size": "large"}, {"I11": (1, 1, None), "I12": (0, 0, None)}),
])
def test_breakdowns_combine(query, expected):
    found = numbers(answer(project(rich_stream().events), **ALL, **query))
    assert {key: found[key] for key in expected} == expected


def _one_cohort(council, answers, role="newcomer", wave="post"):
    employer, program = council.employer("large"), council.program("caip")
    cohort = council.cohort(program, "caip", [employer])
    invitations = []
    for given in answers:
        pid = council.participant(role, employer)
        council.enrol(pid, cohort, role, "caip", employer, program)
        invitations.append(council.invite(pid, cohort, role, wave))
        if given is not None:
            council.respond(invitations[-1], given)
    return cohort, invitations


@pytest.mark.parametrize(("valid", "suppressed"), [(4, True), (5, False)])
def test_small_cells_are_suppressed_below_five_when_asked(valid, suppressed):
    council = Council()
    _one_cohort(council, [{"satisfaction": 5}] * valid + [{"satisfaction": "na"}] * 2)
    row = answer(project(council.events), suppress_below=5)["I2"]
    assert row["suppressed"] is suppressed and row["denominator"] == valid
    if suppressed:
        assert (row["numerator"], row["rate"], row["ci95"]) == (None, None, None)
    else:
        assert (row["numerator"], row["rate"]) == (5, 1.0)


def test_a_councils_own_view_shows_its_small_cells():
    council = Council()
    _one_cohort(council, [{"satisfaction": 5}] * 3 + [{"satisfaction": 2}])
    row = answer(project(council.events))["I2"]
    assert (row["numerator"], row["denominator"], row["suppressed"]) == (3, 4, False)


def test_a_late_response_counts_inside_its_window_even_after_the_expiry_arrived_but_not_outside():
    council = Council()
    _, (inside, outside) = _one_cohort(council, [None, None])
    council.expire(inside)
    council.respond(inside, {"satisfaction": 5}, days_late=29)  # submitted a day before the close
    council.respond(outside, {"satisfaction": 5}, days_late=31)  # submitted a day after it
    council.expire(outside)
    rows = numbers(answer(project(council.events), **ALL))
    assert rows["I2"] == (1, 1, 2)
    assert rows["I13"] == (1, 2, 2)


@pytest.mark.parametrize("written", [
    stamp,  # as surveys writes it: 2025-07-31T12:00:00.000Z
    datetime.isoformat,  # 2025-07-31T12:00:00+00:00
    lambda moment: moment.astimezone(ZoneInfo("America/Toronto")).isoformat(),  # 08:00:00-04:00
    lambda moment: moment.replace(tzinfo=None).isoformat(),  # no offset: UTC, as stamp() takes it
], ids=["stamp", "utc-offset", "toronto-offset", "no-offset"])
def test_a_response_counts_by_its_invitations_close_however_the_close_is_written(written):
    council = Council()
    _, (inside, outside) = _one_cohort(council, [None, None])
    council.respond(inside, {"satisfaction": 5}, days_late=29.9)  # 2.4 hours before the close
    council.respond(outside, {"satisfaction": 5}, days_late=30.1)  # 2.4 hours after it
    closes = {invitation["invitation_id"]: invitation["closes"] for invitation in (inside, outside)}
    for _, event in council.events:
        if "closes_at" in event["data"]:
            event["data"]["closes_at"] = written(closes[event["data"]["invitation_id"]])
    rows = numbers(answer(project(council.events), **ALL))
    assert rows["I2"] == (1, 1, 2)
    assert rows["I13"] == (1, 2, 2)


def test_a_cancelled_invitation_leaves_the_response_rate_and_a_scheduled_one_is_not_yet_in_it():
    council = Council()
    cohort, (answered, cancelled) = _one_cohort(council, [{"satisfaction": 4}, None])
    council.cancel(cancelled)
    pid = council.participant("newcomer", None)
    council.invite(pid, cohort, "newcomer", "post", sent=False)
    assert numbers(answer(project(council.events), **ALL))["I13"] == (1, 1, 1)


def test_advancement_is_reported_once_and_only_after_the_cohort_end_is_known():
    council = Council()
    employer, program = council.employer(), council.program()
    cohort = council.cohort(program, "caip", [employer])
    counted, early = council.participant("newcomer", employer), council.participant("newcomer", employer)
    for pid, when in ((counted, "2025-12-01"), (early, "2025-06-15")):
        invitation = council.invite(pid, cohort, "newcomer", "fu12")
        council.respond(invitation, {"advancement": ["promotion", "none"], "advancement_date": when})
    emitted = []
    db = project(council.events, emitted)
    assert [t for t, _ in emitted if t == "advancement.reported"] == []  # the end is not known yet
    council.events.clear()
    council.complete(cohort, "caip", [(counted, "newcomer", True, False), (early, "newcomer", True, False)])
    project(council.events * 2, emitted, db=db)
    reports = [data for t, data in emitted if t == "advancement.reported"]
    assert reports == [{"participant_id": counted, "cohort_id": cohort, "kinds": ["promotion"],
                        "days_after_end": 154}]
    assert numbers(answer(db, **ALL))["I7"] == (1, 2, 2)


def test_indicator_updates_name_their_scope_and_only_the_figures_that_changed():
    council = Council()
    cohort, _ = _one_cohort(council, [None] * 5)
    emitted = []
    db = project(council.events)
    council.events.clear()
    invitation = council.invite(council.participant("newcomer", None), cohort, "newcomer", "post", sent=False)
    council.respond(invitation, {"satisfaction": 5, "knowledge_increased": "na"})
    project(council.events[-1:], emitted, db=db)  # the response only: its invitation was never sent
    updates = [data for t, data in emitted if t == "indicator.updated"]
    # I3 was answered `na`: its published figures did not change, so nothing is said of it.
    assert {(u["scope"]["cohort_id"], u["indicator_id"]) for u in updates} == {
        (None, "I2"), (cohort, "I2"), (None, "I13"), (cohort, "I13")}
    by_cohort = {u["indicator_id"]: u for u in updates if u["scope"]["cohort_id"] == cohort}
    assert by_cohort["I2"] == {"scope": {"program_kind": "caip", "cohort_id": cohort, "employer_size": None,
                                         "role": None}, "indicator_id": "I2", "numerator": None,
                               "denominator": 1, "rate": None, "suppressed": True}
    assert by_cohort["I13"]["denominator"] == 6 and by_cohort["I13"]["numerator"] == 1


def test_erasure_keeps_the_counts_drops_the_quasi_identifiers_and_redacts_the_log():
    council = Council()
    _, invitations = _one_cohort(council, [{"satisfaction": 5}] * 6)
    erased = invitations[0]["participant_id"]
    db = project(council.events)
    before = answer(db, **ALL)
    assert numbers(answer(db, **ALL, preferred_language="en"))["I2"] == (6, 6, 6)
    council.events.clear()
    council.erase(erased)
    project(council.events, db=db)
    assert answer(db, **ALL) == before
    assert numbers(answer(db, **ALL, preferred_language="en"))["I2"] == (5, 5, 5)
    assert numbers(answer(db, **ALL, years_in_canada="3-5"))["I2"] == (5, 5, 5)
    participant = db["participants"].find_one({"_id": erased})
    assert not {"preferred_language", "occupation_noc", "years_in_canada"} & set(participant)
    [registered] = db["event_log"].find({"type": "participant.registered", "data.participant_id": erased})
    assert set(registered["data"]) == {"participant_id", "role", "employer_id", "consent"}
    by_language = answer(db, **ALL, preferred_language="en")
    rebuild.replay(db)
    assert answer(db, **ALL) == before
    assert answer(db, **ALL, preferred_language="en") == by_language


def test_a_registration_that_arrives_after_the_erasure_is_redacted_too():
    council = Council()
    pid = council.participant("newcomer", None)
    registered = council.events.pop()
    council.erase(pid)
    council.events.append(registered)
    db = project(council.events)
    assert "preferred_language" not in db["participants"].find_one({"_id": pid})
    [logged] = db["event_log"].find({"type": "participant.registered"})
    assert "occupation_noc" not in logged["data"]


def test_mentees_join_m1s_base_sixty_days_after_registering():
    council = Council()
    council.participant("mentee", None, at=day("2026-01-15"))
    db = project(council.events)
    soon = figures.indicators_answer(storage.load_snapshot(db), ALL, "2026-03-15T00:00:00.000Z")
    later = figures.indicators_answer(storage.load_snapshot(db), ALL, "2026-03-16T00:00:00.000Z")
    assert [r["denominator"] for r in soon["indicators"] if r["id"] == "M1"] == [0]
    assert [r["denominator"] for r in later["indicators"] if r["id"] == "M1"] == [1]


def test_a_funder_sees_the_sum_of_the_councils_suppressed_below_five_even_if_asked_for_less():
    first, second = Council("toronto"), Council("calgary")
    _one_cohort(first, [{"satisfaction": 5}] * 3)
    _one_cohort(second, [{"satisfaction": 2}] * 2 + [None])
    snapshots = {"toronto": storage.load_snapshot(project(first.events)),
                 "calgary": storage.load_snapshot(project(second.events))}
    answered = figures.funder_answer(snapshots, {"suppress_below": 0}, AS_OF)
    rows = {row["id"]: row for row in answered["indicators"]}
    assert (rows["I2"]["numerator"], rows["I2"]["denominator"], rows["I2"]["rate"]) == (3, 5, 0.6)
    assert rows["I4"]["suppressed"] and answered["tenants"] == ["calgary", "toronto"]
    alone = figures.funder_answer({"calgary": snapshots["calgary"]}, {}, AS_OF)
    assert {row["id"]: row for row in alone["indicators"]}["I2"]["numerator"] is None
