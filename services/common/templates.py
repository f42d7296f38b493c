"""The Jinja2 environment every service renders its pages and mails with, built one way.

Templates named ``*.html`` and ``*.svg`` are autoescaped (a council's or a participant's name is
text, never markup); plain-text ones (``*.txt``, mail subjects and bodies) are not. Block tags
take their line with them (``trim_blocks``, ``lstrip_blocks``), and a value a template names but
was not given is an error (``StrictUndefined``) unless a caller asks otherwise.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined, select_autoescape

AUTOESCAPED = ("html", "svg")


def environment(folder: Path | Sequence[Path], *, undefined: type[Undefined] = StrictUndefined,
                filters: Mapping[str, Callable[..., Any]] | None = None,
                escape_strings: bool = True) -> Environment:
    """An environment loading from ``folder`` (or the first folder holding a name, in order).

    ``escape_strings`` says whether templates made from a string are autoescaped.
    """
    env = Environment(loader=FileSystemLoader(folder),
                      autoescape=select_autoescape(AUTOESCAPED, default_for_string=escape_strings),
                      undefined=undefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(filters or {})
    return env
