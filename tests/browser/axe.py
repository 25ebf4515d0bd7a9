"""axe-core in the page under test: WCAG 2.1 A and AA rules, serious and critical findings.

axe-core comes from the npm registry, pinned in `.ci/node/package-lock.json` and installed by
`.ci/run` (`npm ci` in `.ci/node`); it is read from disk, never fetched while the tests run.
Without it the accessibility tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import ROOT

AXE = ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERIOUS = {"serious", "critical"}


def axe_source() -> str:
    """axe.min.js as installed by `.ci/run`; skip (fail on CI) when it is not there."""
    path = Path(os.environ.get("XCHANGE_TEST_AXE", AXE))
    if not path.exists():
        message = f"axe-core not found at {path}: run `npm ci` in .ci/node"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path.read_text(encoding="utf-8")


def serious_violations(page: Any, source: str) -> list[str]:
    """Each serious or critical WCAG 2.1 A/AA violation on the page, one line per element:
    the rule, the element and axe's summary of what to fix."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=source)
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        TAGS,
    )
    found = []
    for violation in results["violations"]:
        if violation.get("impact") not in SERIOUS:
            continue
        for node in violation["nodes"]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")[:200]
            found.append(f"{violation['id']}: {node['target']} {node['html'][:160]} | {summary}")
    return found
