"""From an exit code, the log and the JUnit report to ``QA_OK`` / ``QA_ERROR:<CODE>``."""

from __future__ import annotations

import re

from core.qa._model import QaCode, TestCase

_PULL = re.compile(
    r"(ErrImagePull|ImagePullBackOff|manifest unknown|unauthorized: |initializing source|"
    r"reading manifest|requested access to the resource is denied|pull access denied)",
    re.IGNORECASE,
)


def classify(exit_code: int | None, log: str, tests: list[TestCase]) -> tuple[QaCode | None, str]:
    """The code (None = OK) and a one-line detail."""
    failed = [t for t in tests if t.outcome in ("failed", "error")]
    passed = [t for t in tests if t.outcome == "passed"]
    if exit_code == 0 and not failed:
        if not passed:
            return "INTERNAL", "the suite exited 0 but ran no test (all skipped or none collected)"
        return None, f"{len(passed)} test(s) passed"
    pull = _PULL.search(log)
    if exit_code in (125, 126, 127) or (pull and not tests):
        if pull:
            return "IMAGE_PULL_FAILED", f"image pull failed: {pull.group(0)}"
        return "INTERNAL", f"the container did not start (exit {exit_code})"
    if failed or exit_code == 1:
        names = ", ".join(t.name for t in failed[:3]) or "see the log"
        if pull:
            return "IMAGE_PULL_FAILED", f"a model image could not be pulled ({pull.group(0)}); failed: {names}"
        return "TESTS_FAILED", f"{len(failed)} of {len(tests)} test(s) failed: {names}"
    return "INTERNAL", f"the suite exited {exit_code} (pytest: 2 interrupted, 3 internal, 4 usage, 5 no tests)"
