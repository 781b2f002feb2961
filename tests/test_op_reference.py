"""docs/ops.md is the op table's current reference (regenerate with
``python tools/gen_op_reference.py``)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import gen_op_reference  # noqa: E402


def test_op_reference_is_current():
    assert gen_op_reference.main(["--check"]) == 0, \
        "docs/ops.md is out of date: run python tools/gen_op_reference.py"
