"""The field API under schemathesis: generated requests from /api/v1/openapi.json.

At least 1,000 cases (positive and negative data for every operation), seeded so a run can be
repeated; no answer may be a server error, and every answer must match the documented status
codes, content types and schemas.
"""

from __future__ import annotations

import os
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

SEED = int(os.environ.get("FIELDAUDIT_SCHEMATHESIS_SEED", "20261123"))
# Per operation and generation mode: 7 operations with parameters x 2 modes x 80 = 1,120
# cases (hypothesis gives the 3 operations without parameters a single case each).
EXAMPLES = int(os.environ.get("FIELDAUDIT_SCHEMATHESIS_EXAMPLES", "80"))
MINIMUM_CASES = 1000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def fuzz(operation, mode: GenerationMode, cases: Counter, statuses: Counter) -> list[str]:
    """Run the generated cases of one operation in one mode; return the failures."""
    failures: list[str] = []
    label = f"{operation.label} [{mode.value}]"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @seed(SEED)
    def run(case):
        cases[label] += 1
        response = case.call()
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as error:
            failures.append(f"{label}: {str(error)[:400]}")

    try:
        run()
    except Unsatisfiable:
        # No invalid request exists for an operation without parameters or body.
        assert mode is GenerationMode.NEGATIVE, label
    return failures


def test_field_api_under_schemathesis(app, herlev, make_report, make_photo):
    report = make_report()
    make_photo(report)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    cases: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += fuzz(operation, mode, cases, statuses)

    total = sum(cases.values())
    print(
        f"schemathesis: {total} cases over {len(operations)} operations, seed {SEED}; "
        f"statuses {dict(sorted(statuses.items()))}"
    )
    assert not failures, "\n".join(failures[:10])
    assert not [s for s in statuses if s >= 500]
    assert total >= MINIMUM_CASES, cases
