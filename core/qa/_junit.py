"""Per-test results from the suite's JUnit XML (never from scraping stdout)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from core.qa._model import TestCase


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
                seconds=float(case.get("time") or 0),
                message=message[:2000],
            )
        )
    return cases
