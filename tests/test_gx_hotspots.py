"""tasks/gx_hotspots.py: GX's methods, made cheap, give what GX's own give."""

import datetime
import enum
import inspect
import math
import textwrap

import numpy as np
import pandas as pd
import pytest

from tasks import gx_hotspots
from tasks.forms import FORMS

METHODS = ("_get_domain_kwargs", "_get_success_kwargs", "_get_runtime_kwargs")
RUNTIME = (None, {}, {"result_format": "BOOLEAN_ONLY"}, {"result_format": {"result_format": "COMPLETE"}},
           {"result_format": "SUMMARY", "catch_exceptions": True, "include_config": False})


def _gx_own(module, name: str):
    """GX's method compiled from its module's source, whatever a run has put on the class since."""
    source = inspect.getsource(module)
    start = source.index(f"    def {name}(")
    end = min(i for i in (source.find("\n    def ", start + 1), source.find("\n    @", start + 1)) if i > 0)
    scope = dict(vars(module))
    exec(textwrap.dedent(source[start:end]), scope)
    return scope[name]


def _all_kwargs(exp) -> list:
    return [exp._get_domain_kwargs(), exp._get_success_kwargs(), *(exp._get_runtime_kwargs(r) for r in RUNTIME)]


def test_applied_on_the_locked_version():
    """Fails when GX is upgraded: check the methods against the new GX, then raise VERIFIED_ON."""
    import great_expectations as gx

    assert gx.__version__ == gx_hotspots.VERIFIED_ON and gx_hotspots.apply()


@pytest.mark.parametrize("form", sorted(FORMS))
def test_same_kwargs_as_gx_on_every_expectation_of_the_suites(form, monkeypatch):
    import great_expectations.expectations.expectation as module

    from tasks.validate import _suite

    expectations = _suite(form).expectations
    assert expectations
    with monkeypatch.context() as gx_only:
        for name in METHODS:
            gx_only.setattr(module.Expectation, name, _gx_own(module, name))
        expected = [_all_kwargs(exp) for exp in expectations]
    assert gx_hotspots.apply() and module.Expectation._get_runtime_kwargs is gx_hotspots._runtime_kwargs
    assert [_all_kwargs(exp) for exp in expectations] == expected


class _Colour(enum.Enum):
    RED = "red"


class _Text(str):
    pass


ODD_VALUES = [math.nan, math.inf, -0.0, 1.5, np.int64(3), np.float64(2.5), np.float64("nan"), True, None, "x",
              _Text("x"), _Colour.RED, (1, "a"), [1, [2, None]], {1: "int key"}, {True: "bool key"}, {"a": {"b": 1}},
              {3, 4}, datetime.date(2023, 5, 1), pd.Timestamp("2023-05-01"), range(3), b"raw"]


def test_same_metric_ids_as_gx_on_odd_values():
    """Values GX's conversion changes (NaN, numpy scalars, enums, keys that are not text, sets, dates)
    take GX's way; the others hash as they are, to the same id."""
    import great_expectations.core.id_dict as module

    own = _gx_own(module, "to_id")
    for value in ODD_VALUES:
        for extra in ({}, {"column": "c"}, {"column": "c", "nested": {"v": value}}):
            data = module.IDDict({"value": value, **extra})
            for keys in (None, ["value"], ["value", "column"]):
                if keys is None or set(keys) <= set(data):
                    assert gx_hotspots._to_id(data, keys) == own(data, keys), (value, extra, keys)
        assert gx_hotspots._to_id(module.IDDict(a=1, b=value), None, ["b"]) == own(module.IDDict(a=1, b=value), None, ["b"])


def test_same_metric_ids_as_gx_on_every_metric_of_a_validation(monkeypatch):
    """Every id GX asks for while validating a month with failing rows (both passes)."""
    import great_expectations.core.id_dict as module

    from tasks.validate import Context, prepare_validation, validate_form

    own, asked = _gx_own(module, "to_id"), []

    def recorded(self, id_keys=None, id_ignore_keys=None):
        asked.append((self, id_keys, id_ignore_keys))
        return own(self, id_keys, id_ignore_keys)

    prepare_validation()            # GX set up (and the methods applied) before the ids are recorded
    monkeypatch.setattr(module.IDDict, "to_id", recorded)
    rows = [{c.name: "1" for c in FORMS["monthly_report"].columns} | {"tax_code": "2300325764", "period": "2023-05",
                                                                       "submitted_at": "01/06/2023 08:00"}] * 5
    raw = pd.DataFrame(rows).assign(_file_id=1, _row_number=range(2, 7))
    raw.loc[2, "revenue"] = "-5"
    validate_form("monthly_report", raw, {1: pd.Timestamp("2023-06-01")}, Context({"2300325764"}, set(), {}, {}, 202611))
    assert len(asked) > 100 and sum(gx_hotspots._json_ready({k: s[k] for k in s}) for s, _, _ in asked) > 50
    for data, keys, ignore in asked:
        assert gx_hotspots._to_id(data, keys, ignore) == own(data, keys, ignore)


def test_same_type_names_as_gx_for_every_registered_expectation():
    """The kept snake-case names are GX's own, asked twice (the second answer is the kept one),
    for every expectation GX registers and for names its expressions treat specially."""
    import great_expectations.expectations.expectation as module
    from great_expectations.expectations.registry import _registered_expectations
    from great_expectations.util import camel_to_snake as gx_own

    from tasks.validate import _suite, prepare_validation

    prepare_validation()
    names = [cls.__name__ for cls in _registered_expectations.values()]
    names += ["", "x", "ABC", "ABCDef", "HTTPServer2Go", "already_snake", "Expect2Values"]
    assert len(names) > 50 and module.camel_to_snake is not gx_own
    for _ in range(2):
        assert [module.camel_to_snake(n) for n in names] == [gx_own(n) for n in names]
    exp = _suite("monthly_report").expectations[0]
    assert exp.configuration.type == gx_own(type(exp).__name__)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_same_validation_as_gx_filtering_every_time(form, demo_landing, demo_sqlite, monkeypatch):
    """Each form's demo files (rows that fail included), validated with each row condition's rows
    filtered once per batch and with GX's own filter, which queries the batch for every metric:
    the same accepted rows and the same rejections. The filtered rows of one batch are not taken
    for the next."""
    from datetime import date

    import great_expectations.execution_engine.pandas_execution_engine as module
    import pyarrow as pa
    from sqlalchemy import create_engine

    from flows.pipeline import _context
    from tasks.ingest import FileRejected, read_submission
    from tasks.refresh import Reference
    from tasks.validate import prepare_validation, validate_form

    engine = create_engine(demo_sqlite)
    with engine.connect() as conn:
        ctx = _context(Reference.read(conn), date(2026, 11, 27))
    engine.dispose()
    tables = []
    for i, path in enumerate(sorted(p for p in (demo_landing / form).rglob("*") if p.is_file())):
        try:
            text = read_submission(path, form, path.name).text
        except FileRejected:
            continue
        tables.append(text.append_column("_file_id", pa.array([i] * text.num_rows, pa.int64())))
    raw = pa.concat_tables(tables).to_pandas()
    halves = [raw.iloc[:len(raw) // 2].reset_index(drop=True), raw.iloc[len(raw) // 2:].reset_index(drop=True)]
    seen = {i: pd.Timestamp("2023-06-01") for i in range(len(tables) + 1)}
    prepare_validation()
    assert module.PandasExecutionEngine._apply_row_condition_filter is gx_hotspots._filtered_once
    ours = [validate_form(form, rows, seen, ctx) for rows in (raw, *halves)]
    monkeypatch.setattr(module.PandasExecutionEngine, "_apply_row_condition_filter",
                        _gx_own(module, "_apply_row_condition_filter"))
    gx_own = [validate_form(form, rows, seen, ctx) for rows in (raw, *halves)]
    assert sum(len(v.rejections) for v in gx_own) > 0
    for mine, theirs in zip(ours, gx_own):
        pd.testing.assert_frame_equal(mine.accepted, theirs.accepted)
        pd.testing.assert_frame_equal(mine.rejections, theirs.rejections)
