"""JUnit XML, the test-report format CI systems read (GitHub, GitLab, Jenkins, Azure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    """One test case; ``failure`` is the failure message, None when it passed."""

    classname: str
    name: str
    failure: str | None = None
    details: str = ""  # failure text, or system-out of a passing case


@dataclass(frozen=True)
class TestSuite:
    """A named group of cases."""

    name: str
    cases: Sequence[Case]


def junit_xml(suites: Sequence[TestSuite], name: str = "") -> str:
    """A ``<testsuites>`` document with counts of tests and failures at every level."""
    root = ET.Element("testsuites", name=name)
    total = failed = 0
    for suite in suites:
        n_fail = sum(c.failure is not None for c in suite.cases)
        el = ET.SubElement(
            root,
            "testsuite",
            name=suite.name,
            tests=str(len(suite.cases)),
            failures=str(n_fail),
            errors="0",
            skipped="0",
        )
        for case in suite.cases:  # no time attributes: cases are verdicts on one run, not timed separately
            tc = ET.SubElement(el, "testcase", classname=case.classname, name=case.name)
            if case.failure is not None:
                f = ET.SubElement(tc, "failure", message=case.failure, type="regression")
                f.text = case.details or case.failure
            elif case.details:
                ET.SubElement(tc, "system-out").text = case.details
        total += len(suite.cases)
        failed += n_fail
    root.set("tests", str(total))
    root.set("failures", str(failed))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
