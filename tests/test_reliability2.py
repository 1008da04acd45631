"""Reliability, round 2 (issue 13): runs the second battery.

The cases are in ``tests/test_reliability2_inputs.py`` and
``tests/test_reliability2_state.py``, the format and the generic checks
(no RuntimeWarning, no internal exception, inputs not mutated, failure
atomicity, exact outcome) in ``tests/test_reliability2_runner.py``.  This
module is kept small on purpose: pytest parses the source of the module of
every failing (xfail) test to show it.
"""

import pytest
from test_reliability2_inputs import CASES as INPUT_CASES
from test_reliability2_runner import check_case, params_for
from test_reliability2_state import CASES as STATE_CASES

CASES = INPUT_CASES + STATE_CASES


def test_ids_unique_and_count():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert len(CASES) >= 150


@pytest.mark.parametrize("case", params_for(CASES))
def test_case(case):
    check_case(case)
