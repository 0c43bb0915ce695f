"""Per-test results from the suite's JUnit XML (never from scraping stdout)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from core.qa._model import TestCase


def _seconds(text: str | None) -> float:
    """A test's ``time`` attribute; one that is not a finite, non-negative number is 0 (the
    outcome still counts)."""
    try:
        value = float(text or 0)
    except ValueError:
        return 0.0
    return value if math.isfinite(value) and value >= 0 else 0.0


def parse_junit(text: str) -> list[TestCase]:
    """Every ``testcase`` with its outcome; a malformed report gives an empty list."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return []
    cases = []
    for case in root.iter("testcase"):
        outcome = "passed"
        message = ""
        for tag in ("failure", "error", "skipped"):
            child = case.find(tag)
            if child is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = (child.get("message") or child.text or "").strip()
                break
        cases.append(
            TestCase(
                name=case.get("name", "?"),
                classname=case.get("classname", ""),
                outcome=outcome,
                seconds=_seconds(case.get("time")),
                message=message[:2000],
            )
        )
    return cases
