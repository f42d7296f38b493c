"""The council a worker speaks for, as the tenant registry has it."""
from types import SimpleNamespace

import pytest

from services.common.council import CouncilView
from services.common.tenancy import DEFAULT_TIMEZONE

OTTAWA = {"_id": "ottawa", "name": "Council of Ottawa", "timezone": "America/Toronto",
          "languages": ["fr", "en"]}


def runtime(*entries: dict) -> SimpleNamespace:
    found = {entry["_id"]: entry for entry in entries}
    registry = SimpleNamespace(get_tenant=found.get)
    return SimpleNamespace(registry=registry, settings=SimpleNamespace(smtp_from="no-reply@iec.example.org"))


def test_a_registered_council_has_its_name_zone_languages_and_the_platform_reply_to():
    council = CouncilView(runtime(OTTAWA), "ottawa")
    assert council.registered
    assert (council.name, council.timezone, council.languages, council.reply_to) == (
        "Council of Ottawa", "America/Toronto", ("fr", "en"), "no-reply@iec.example.org")


def test_a_council_may_have_its_own_reply_to():
    council = CouncilView(runtime({**OTTAWA, "reply_to": "programs@ottawa.example"}), "ottawa")
    assert council.reply_to == "programs@ottawa.example"


def test_an_entry_without_zone_or_languages_gets_the_registry_defaults():
    council = CouncilView(runtime({"_id": "ottawa", "name": "Ottawa"}), "ottawa")
    assert DEFAULT_TIMEZONE == "America/Toronto"
    assert (council.timezone, council.languages) == ("America/Toronto", ("en",))


@pytest.mark.parametrize("read", ["name", "timezone", "languages", "reply_to"])
def test_a_council_missing_from_the_registry_is_an_error_not_a_nameless_council(read):
    council = CouncilView(runtime(OTTAWA), "calgary")
    assert not council.registered
    with pytest.raises(LookupError, match="'calgary' is not in the registry"):
        getattr(council, read)


def test_the_entry_is_read_once_per_worker():
    reads = []
    rt = runtime(OTTAWA)
    rt.registry.get_tenant = lambda tenant_id: reads.append(tenant_id) or OTTAWA
    council = CouncilView(rt, "ottawa")
    council.name, council.timezone, council.reply_to  # noqa: B018 - each reads the entry
    assert reads == ["ottawa"]
