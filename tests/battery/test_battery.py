"""Runs the battery: every case of ``battery/cases_*.py``, judged by
``battery/runner.py``; a case's test ID is ``<topic>-<id>``.

This module is kept small on purpose: pytest parses the source of the module
of every failing (xfail) test to show it.
"""

import pytest

from battery.case import TOPICS
from battery.cases import CASES
from battery.runner import check_case, params_for


def test_ids_unique_and_count():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert len(CASES) >= 250
    assert {c.topic for c in CASES} <= set(TOPICS), {c.topic for c in CASES}


@pytest.mark.parametrize("case", params_for(CASES))
def test_case(case):
    check_case(case)
