"""The Great Expectations suites of expectations/<form>.json.

The JSON files are what runs: a board tightens a rule by editing them. They
were first written from tasks/forms.py by `python -m tasks.suites`, and a test
keeps the committed files and the forms in step.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tasks.forms import CHOICE, FORMS, MONTH, REQUIRED, WHEN, Column, Form

SUITE_DIR = Path(__file__).resolve().parents[1] / "expectations"


def _exp(kind: str, reason: str, target: str, retry: bool = False, **kwargs) -> dict:
    """One expectation; `target` is the form column a failure is reported against."""
    return {"type": kind, "kwargs": kwargs, "meta": {"reason_code": reason, "column": target, "retry": retry}}


def _in(column: str, values: tuple[str, ...], negate: bool = False) -> dict:
    listed = ", ".join(json.dumps(v, ensure_ascii=False) for v in values)
    return {"row_condition": f"{column} {'not in' if negate else 'in'} [{listed}]", "condition_parser": "pandas"}


def _blank_rules(col: Column) -> list[dict]:
    if col.blank == REQUIRED:
        return [_exp("expect_column_values_to_not_be_null", "missing_value", col.name, column=col.name)]
    if col.blank != WHEN:
        return []
    on, values = col.when
    rules = [_exp("expect_column_values_to_not_be_null", "missing_value", col.name, column=col.name, **_in(on, values))]
    if col.blank_otherwise:
        rules.append(_exp("expect_column_values_to_be_null", "must_be_blank", col.name, column=col.name,
                          **_in(on, values, negate=True)))
    return rules


def _value_rules(form: Form, col: Column) -> list[dict]:
    rules = []
    if col.kind == CHOICE:
        rules.append(_exp("expect_column_values_to_be_in_set", "invalid_choice", col.name,
                          column=col.name, value_set=list(col.choices)))
    if col.minimum is not None:
        reason = "negative_value" if col.minimum == 0 and not col.exclusive_min else "out_of_range"
        rules.append(_exp("expect_column_values_to_be_between", reason, col.name, column=col.name,
                          min_value=col.minimum, strict_min=col.exclusive_min))
    if col.not_above:
        rules.append(_exp("expect_column_pair_values_a_to_be_greater_than_b", "exceeds_limit", col.name,
                          column_A=col.not_above, column_B=col.name, or_equal=True,
                          ignore_row_if="either_value_is_missing"))
    if col.not_below:
        rules.append(_exp("expect_column_pair_values_a_to_be_greater_than_b", "before_start", col.name,
                          column_A=col.name, column_B=col.not_below, or_equal=True,
                          ignore_row_if="either_value_is_missing"))
    if col.kind == MONTH:
        rules.append(_exp("expect_column_values_to_be_between", "future_period", col.name,
                          column=f"_{col.name}_yyyymm", max_value={"$PARAMETER": "run_yyyymm"}))
    if col.reference:       # the lookup is a helper column (tasks/validate.py): tens of thousands of codes
        reason = "unknown_enterprise" if col.reference == "roster" else "unknown_zone"
        rules.append(_exp("expect_column_values_to_be_in_set", reason, col.name, retry=True,
                          column=f"_{col.name}_known", value_set=[True]))
    return rules


def _form_rules(form: Form) -> list[dict]:
    """Rules that span columns and belong to one form only."""
    if form.name == "zone_events":      # only a new zone may bring a code nobody knows yet
        return [_exp("expect_column_values_to_be_in_set", "unknown_zone", "zone_code", retry=True,
                     column="_zone_code_known", value_set=[True], **_in("event", ("thành lập mới",), negate=True))]
    if form.name == "nominations":      # the flag goes to enterprises only
        return [_exp("expect_column_values_to_be_in_set", "award_not_allowed", "nominee_type",
                     column="nominee_type", value_set=["doanh nghiệp"], **_in("award", ("cờ thi đua",)))]
    return []


def build_suite(form: Form) -> dict:
    rules = [r for col in form.columns for r in (*_blank_rules(col), *_value_rules(form, col))]
    return {"name": form.name, "expectations": [*rules, *_form_rules(form)],
            "meta": {"title_vi": form.title_vi, "key": list(form.key)}}


def suite_path(form: str) -> Path:
    return SUITE_DIR / f"{form}.json"


def load_suite(form: str) -> dict:
    return json.loads(suite_path(form).read_text(encoding="utf-8"))


def write_suites() -> None:
    SUITE_DIR.mkdir(exist_ok=True)
    for form in FORMS.values():
        text = json.dumps(build_suite(form), ensure_ascii=False, indent=2) + "\n"
        suite_path(form.name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_suites()
    sys.stdout.write(f"wrote {len(FORMS)} suites to {SUITE_DIR}\n")
