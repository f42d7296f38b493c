"""Server-made ids: a prefix that says what they name, then 64 random bits in hex."""
import re

from services.common.ids import new_id


def test_an_id_is_its_prefix_and_16_hex_digits():
    assert re.fullmatch(r"par_[0-9a-f]{16}", new_id("par"))


def test_ids_do_not_repeat():
    assert len({new_id("inv") for _ in range(1000)}) == 1000


def test_a_report_id_keeps_its_hyphen():
    assert re.fullmatch(r"rpt-[0-9a-f]{16}", new_id("rpt", separator="-"))
