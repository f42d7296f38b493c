"""Reading a participants CSV: columns, header, and each row checked by the registration schema."""
from __future__ import annotations

import io

import pytest

from services.common.errors import BadRequest
from services.intake.csv_rows import ParticipantRows, columns
from services.intake.schemas import ImportRowSchema

HEADER = ("given_name,family_name,email,preferred_language,role,occupation_noc,years_in_canada,"
          "consent_version,consent_surveys,consent_research,consent_contact,cohort_id")
GOOD = "Li,Wei,li@example.org,en,newcomer,21231,3,2026-01,true,false,true,"


def rows(*lines: str, header: str = HEADER) -> list:
    return list(ParticipantRows(io.StringIO("\r\n".join([header, *lines]) + "\r\n")))


def refused(header: str) -> BadRequest:
    with pytest.raises(BadRequest) as refusal:
        ParticipantRows(io.StringIO(header + "\r\n"))
    return refusal.value


def test_the_columns_are_the_registration_fields_with_consent_flattened_and_the_enrolment_ones():
    found = columns(ImportRowSchema())
    assert set(found) == {
        "given_name", "family_name", "email", "phone", "preferred_language", "role", "employer_id",
        "occupation_noc", "years_in_canada", "consent_version", "consent_surveys", "consent_research",
        "consent_contact", "mentor_capacity", "cohort_id", "enrolment_role"}
    assert found["consent_surveys"].path == ("consent", "surveys")
    required = {name for name, column in found.items() if column.required}
    assert required == {"given_name", "family_name", "email", "preferred_language", "role", "occupation_noc",
                        "consent_version", "consent_surveys", "consent_research", "consent_contact"}


def test_a_good_row_loads_as_a_registration_with_typed_values_and_absent_optionals():
    [row] = rows(GOOD)
    assert row.errors is None and row.line == 2
    assert row.fields == {
        "given_name": "Li", "family_name": "Wei", "email": "li@example.org", "phone": None,
        "preferred_language": "en", "role": "newcomer", "employer_id": None, "occupation_noc": "21231",
        "years_in_canada": 3, "cohort_id": None, "enrolment_role": None,
        "consent": {"version": "2026-01", "surveys": True, "research": False, "contact": True}}


@pytest.mark.parametrize(("cell", "value"), [
    ("true", True), ("TRUE", True), ("Yes", True), ("1", True), ("false", False), ("no", False), ("0", False),
    (" No ", False)])
def test_booleans_are_true_false_yes_no_or_1_0_in_any_case(cell, value):
    [row] = rows(GOOD.replace("true,false,true", f"{cell},false,true"))
    assert row.fields["consent"]["surveys"] is value


@pytest.mark.parametrize(("years", "message"), [
    ("3.5", "Not a valid integer."), ("three", "Not a valid integer."), ("9" * 5000, "Not a valid integer."),
    ("-1", "Must be greater than or equal to 0 and less than or equal to 80.")])
def test_a_cell_that_does_not_convert_is_named_by_the_schema(years, message):
    [row] = rows(GOOD.replace(",3,", f",{years},"))
    assert row.errors == {"years_in_canada": [message]}


def test_errors_are_keyed_by_column_consent_ones_included():
    [row] = rows(",Wei,li@example.org,en,newcomer,21231,,,maybe,false,true,")
    assert row.errors == {"given_name": ["Missing data for required field."],
                          "consent_version": ["Missing data for required field."],
                          "consent_surveys": ["Not a valid boolean."]}


def test_blank_lines_and_rows_of_empty_cells_are_skipped_and_rows_keep_the_line_they_start_on():
    quoted = GOOD.replace("Li,", '"Li\r\nAnn",', 1)
    found = rows("", ",,,,,,,,,,,", quoted, GOOD)
    assert [(row.line, row.errors) for row in found] == [(4, None), (6, None)]
    assert found[0].fields["given_name"] == "Li\r\nAnn"


def test_a_row_with_too_few_cells_bad_quoting_or_bytes_that_are_not_utf8_is_an_error_of_its_own():
    found = rows("Li,Wei", 'Li,"We"i,x', GOOD.replace("Wei", "W\udcffi"), GOOD)
    assert [(row.line, row.errors) for row in found] == [
        (2, {"_schema": ["Expected 12 cells, found 2."]}),
        (3, {"_schema": ["Not valid CSV: ',' expected after '\"'."]}),
        (4, {"family_name": ["Not UTF-8 text."]}),
        (5, None)]


def test_header_names_ignore_case_and_spaces_and_may_come_in_any_order():
    header = ",".join(f" {name.upper()} " for name in reversed(HEADER.split(",")))
    [row] = rows(",".join(reversed(GOOD.split(","))), header=header)
    assert row.fields["email"] == "li@example.org"


def test_a_header_with_unknown_repeated_missing_or_unnamed_columns_is_refused_naming_each():
    refusal = refused(HEADER.replace("email", "e_mail") + ",nickname,role,")
    assert refusal.fields == {"e_mail": ["Unknown column."], "nickname": ["Unknown column."],
                              "role": ["Named more than once."], "_schema": ["Column 15 has no name."],
                              "email": ["Missing column."]}


def test_a_first_row_that_names_no_column_is_taken_for_a_missing_header():
    refusal = refused(GOOD)
    assert refusal.fields == {"_schema": [f"Expected a header row naming the columns "
                                          f"({', '.join(columns(ImportRowSchema()))})."]}
    assert "li@example.org" not in str(refusal.fields)


def test_an_enrolment_role_needs_a_cohort():
    [row] = rows(GOOD + ",mentor", header=HEADER + ",enrolment_role")
    assert row.errors == {"enrolment_role": ["Needs a cohort_id."]}


def test_a_file_saved_with_semicolons_reads_the_same():
    [row] = rows(GOOD.replace(",", ";"), header=HEADER.replace(",", ";"))
    assert row.errors is None
    assert row.fields["email"] == "li@example.org"
