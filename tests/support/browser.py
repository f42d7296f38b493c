"""A real headless browser for tests: Debian's chromium driven by Playwright, in a child process.

Playwright's sync API runs its own loop on greenlets, which hangs in a process that eventlet has
monkey-patched (the test process, where nameko's containers run). So a browser scenario runs in a
child Python process: ``run_scenario("tests.browser.scenarios:fill_form", url=...)`` imports that
function there, calls it with a fresh Playwright ``page`` and the keyword arguments, and returns
what it returned (JSON). An assertion failing in the scenario fails the test with its traceback.

Screenshots are written under the test's temporary directory; ``keep_screenshots`` copies them over the
documentation's pictures (docs/screenshots) only when ``IEC_UPDATE_SCREENSHOTS=1`` is set, so that a
test run leaves the tree as it was.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"


def keep_screenshots(*shots: Path) -> None:
    """Copy ``shots`` to docs/screenshots (same names) when IEC_UPDATE_SCREENSHOTS=1; else leave them."""
    if os.environ.get("IEC_UPDATE_SCREENSHOTS") == "1":
        for shot in shots:
            shutil.copyfile(shot, SCREENSHOTS / shot.name)


def chromium_path() -> str:
    """Debian's chromium (deploy/install-tools.sh installs it); CHROMIUM overrides."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("chromium is not installed: run `make tools` (deploy/install-tools.sh)")
    return found


def run_scenario(target: str, *, timeout: float = 120, **params) -> dict:
    """Run ``module:function`` in a child process with a Playwright page; returns its JSON result."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.support.browser", target, json.dumps(params)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "CHROMIUM": chromium_path()})
    if proc.returncode != 0:
        raise AssertionError(f"browser scenario {target} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _child(target: str, params: dict) -> dict:
    import importlib

    from playwright.sync_api import sync_playwright

    module_name, func_name = target.split(":")
    scenario = getattr(importlib.import_module(module_name), func_name)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=os.environ["CHROMIUM"],
                                     args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport=params.pop("viewport", None) or {"width": 1024, "height": 900})
            page.set_default_timeout(15_000)
            return scenario(page, **params) or {}
        finally:
            browser.close()


if __name__ == "__main__":
    result = _child(sys.argv[1], json.loads(sys.argv[2]))
    print(json.dumps(result))
