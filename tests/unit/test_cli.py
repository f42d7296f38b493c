"""The `iec` CLI's argument rules (the commands themselves run against Mongo in tests/e2e)."""
from __future__ import annotations

import pytest

from services.cli.main import build_parser, key_create


def test_key_create_takes_a_tenant_and_role_or_a_funder(capsys):
    both = ["key", "create", "toronto", "--role", "staff", "--funder", "F"]
    for argv in (["key", "create", "toronto"], both):
        assert key_create(build_parser().parse_args(argv)) == 2
    assert "--funder" in capsys.readouterr().err


def test_an_unknown_role_is_refused_by_the_parser():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["key", "create", "toronto", "--role", "owner"])
