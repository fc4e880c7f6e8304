import json

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
