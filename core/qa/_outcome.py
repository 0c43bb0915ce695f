"""From an exit code, the log and the JUnit report to ``QA_OK`` / ``QA_ERROR:<CODE>``."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from core.qa._junit import parse_junit
from core.qa._model import QaCode, QaRequest, QaResult, TestCase

_log = logging.getLogger(__name__)

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
    if exit_code is not None and (exit_code < 0 or exit_code in (137, 143)) and not failed:
        how = f"signal {-exit_code}" if exit_code < 0 else f"exit {exit_code}"
        return "INTERNAL", (
            f"the test container was killed mid-run ({how}: out of memory, or stopped from outside) after "
            f"{len(tests)} result(s); run it again, with more memory for the container if it repeats"
        )
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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RunRecorder:
    """Collects a run's redacted lines and builds its :class:`QaResult` (both backends)."""

    def __init__(
        self,
        request: QaRequest,
        backend: Literal["podman", "cluster"],
        redact: Callable[[str], str],
        *,
        run_id: str | None = None,
        on_line: Callable[[str], None] | None = None,
    ) -> None:
        self.request = request
        self.backend = backend
        self.redact = redact
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self.on_line = on_line
        self.started = _now()
        self.lines: list[str] = []

    def emit(self, line: str) -> None:
        """Mask, keep and forward one line of output."""
        clean = self.redact(line.rstrip("\n"))
        self.lines.append(clean)
        if self.on_line:
            self.on_line(clean)

    def result(
        self, code: QaCode | None, detail: str, exit_code: int | None = None, junit: str | None = None
    ) -> QaResult:
        """The run's outcome with everything recorded so far."""
        _log.log(
            logging.INFO if code is None else logging.WARNING,
            "QA run %s (%s) ended: %s %s",
            self.run_id,
            self.backend,
            "QA_OK" if code is None else f"QA_ERROR:{code}",
            self.redact(detail),
        )
        return QaResult(
            run_id=self.run_id,
            backend=self.backend,
            code=code,
            exit_code=exit_code,
            detail=self.redact(detail),
            tests=self.tests(junit),
            log="\n".join(self.lines),
            junit_xml=self.redact(junit) if junit else None,
            started_at=self.started,
            finished_at=_now(),
            config=str(self.request.config_path),
            accelerator_type=self.request.accelerator_type,
            test_image=self.request.test_image,
        )

    def tests(self, junit: str | None) -> list[TestCase]:
        """Per-test results, masked before parsing (the text as the suite wrote it) and after (a
        secret XML-escaped in the file is plain text once parsed)."""
        if not junit:
            return []
        return [
            t.model_copy(update={"name": self.redact(t.name), "message": self.redact(t.message)})
            for t in parse_junit(self.redact(junit))
        ]

    def finish(self, exit_code: int | None, junit: str | None) -> QaResult:
        """Classify a run that ended by itself."""
        code, detail = classify(exit_code, "\n".join(self.lines), self.tests(junit))
        return self.result(code, detail, exit_code, junit)
