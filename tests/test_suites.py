import json

import pandas as pd

from tasks.forms import FORMS
from tasks.suites import build_suite, suite_path


def test_committed_suites_match_the_forms():
    """expectations/<form>.json run; this keeps them in step with tasks/forms.py (`make suites`)."""
    for form in FORMS.values():
        assert json.loads(suite_path(form.name).read_text(encoding="utf-8")) == build_suite(form), form.name


def test_every_expectation_names_a_reason_and_a_column():
    for form in FORMS:
        for exp in json.loads(suite_path(form).read_text(encoding="utf-8"))["expectations"]:
            assert exp["meta"]["reason_code"] and exp["meta"]["column"] in FORMS[form].column_names


def test_data_dictionary_is_current():
    from warehouse.dictionary import DOC, render

    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m warehouse.dictionary"


def _monthly_rows(n: int) -> pd.DataFrame:
    rows = []
    for i in range(n):
        row = {c.name: "1" for c in FORMS["monthly_report"].columns}
        row.update(tax_code="2300325764", period=f"{2000 + i // 12}-{i % 12 + 1:02d}", submitted_at="01/01/2024 08:00")
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["_file_id"], frame["_row_number"] = 1, range(2, n + 2)
    return frame


def test_row_ids_of_failed_rules_are_all_there_past_the_summary_partial_list():
    """GX's SUMMARY lists at most 20 failing rows; beyond that the COMPLETE re-run must give them all."""
    from tasks.validate import Context, validate_form

    raw = _monthly_rows(60)
    raw.loc[raw.index[:35], "revenue"] = "-5"          # 35 rows: past the partial list
    raw.loc[raw.index[40:43], "export_value"] = "-1"   # 3 rows: within it
    ctx = Context({"2300325764"}, set(), {}, {}, 202611)
    result = validate_form("monthly_report", raw, {1: pd.Timestamp("2024-01-01")}, ctx)
    got = result.rejections.groupby(["column", "reason_code"])["_row_number"].apply(sorted).to_dict()
    assert got == {("revenue", "negative_value"): list(range(2, 37)), ("export_value", "negative_value"): [42, 43, 44]}
    assert len(result.accepted) == 60 - 38
