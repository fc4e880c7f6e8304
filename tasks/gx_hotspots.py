"""Four hot spots of Great Expectations 1.24.1, made cheap without changing what GX computes.

- An expectation's kwargs. GX asks each expectation for its runtime kwargs once per metric it
  needs, and `Expectation._get_domain_kwargs`, `_get_success_kwargs` and `_get_runtime_kwargs`
  read `self.configuration` inside their loops, once per key; that property builds a new
  ExpectationConfiguration from a pydantic `.dict()` each time. Here it is read once per call:
  40 % of GX's time on a month of 20,000 reports (65 -> 38 ms).
- A metric's id. `IDDict.to_id` hashes the JSON of its kwargs after passing them through GX's
  generic `convert_to_json_serializable` (isinstance checks against pydantic, numpy and pandas
  types for every value): a quarter of what GX's time then was. Kwargs made only of str, int,
  bool, None, finite floats, lists, tuples and dicts with str keys are already what that
  conversion returns, so they are hashed as they are; any other value takes GX's way.
- A row condition's rows. For every metric of an expectation with a row condition GX filters
  the batch with `DataFrame.query` again (47 times for the nominations' suite, five conditions),
  and each query builds a Series of every column. Here each condition's rows are filtered once
  per batch frame: the nominations' validation went 200 -> 150 ms.
- An expectation's type name. `Expectation.configuration`, built about 18 times per expectation
  in one validation, turns the class name into snake case with two regular expressions each time;
  the name of a class is kept once made: about a tenth of a validation (GX's cost per validation
  is nearly all fixed, about 100 ms whether a batch has 300 rows or 115,000).

They replace GX's methods only on the version they were checked against: tests/test_gx_hotspots.py
compares them with GX's own, compiled from GX's source, on every expectation of every suite, on
the metric ids of a validation and on every form's validation. On another version GX's methods
stay, and that test fails until the new version is checked and VERIFIED_ON raised.
"""

from __future__ import annotations

import hashlib
import json
import logging
import weakref
from functools import lru_cache

VERIFIED_ON = "1.24.1"


def apply() -> bool:
    """Put the cheap methods on GX's classes; False (GX's own kept) on another GX version."""
    import great_expectations as gx
    import great_expectations.expectations.expectation as expectation_module
    from great_expectations.core.id_dict import IDDict
    from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine
    from great_expectations.expectations.expectation import Expectation

    if gx.__version__ != VERIFIED_ON:
        logging.getLogger(__name__).info("GX %s: its own methods kept (the cheap ones were checked on %s)",
                                         gx.__version__, VERIFIED_ON)
        return False
    Expectation._get_domain_kwargs = _domain_kwargs
    Expectation._get_success_kwargs = _success_kwargs
    Expectation._get_runtime_kwargs = _runtime_kwargs
    IDDict.to_id = _to_id
    expectation_module.camel_to_snake = _snake_case
    if PandasExecutionEngine._apply_row_condition_filter is not _filtered_once:
        _gx_filter[0] = PandasExecutionEngine._apply_row_condition_filter
        PandasExecutionEngine._apply_row_condition_filter = _filtered_once
    return True


# --- an expectation's kwargs ------------------------------------------------------------------

def _domain_kwargs(self, kwargs: dict | None = None) -> dict:
    kwargs = self.configuration.kwargs if kwargs is None else kwargs
    return {key: kwargs.get(key, self._get_default_value(key)) for key in self.domain_keys}


def _success_kwargs(self, kwargs: dict | None = None) -> dict:
    kwargs = self.configuration.kwargs if kwargs is None else kwargs
    success = {key: kwargs.get(key, self._get_default_value(key)) for key in self.success_keys}
    success.update(_domain_kwargs(self, kwargs))
    return success


def _runtime_kwargs(self, runtime_configuration: dict | None = None) -> dict:
    from great_expectations.expectations.expectation_configuration import parse_result_format

    runtime_configuration, kwargs = runtime_configuration or {}, self.configuration.kwargs
    success = _success_kwargs(self, kwargs)
    runtime = {key: runtime_configuration.get(key, _success_kwarg(self, kwargs, key)) for key in self.runtime_keys}
    runtime.update(success)
    runtime["result_format"] = parse_result_format(runtime["result_format"])
    return runtime


def _success_kwarg(self, kwargs: dict, key: str):
    """GX's `_get_success_kwarg` on kwargs already read: the kwarg, else the field's default."""
    if key in kwargs:
        return kwargs[key]
    field = self.__fields__.get(key)
    if field is not None:
        return field.default if not field.required else None
    return self._get_success_kwarg(key)          # not a field: GX's own (it logs a warning)


# --- an expectation's type name ---------------------------------------------------------------

@lru_cache(maxsize=1024)          # a pure function of the name: one entry per expectation class
def _snake_case(name: str) -> str:
    from great_expectations.util import camel_to_snake

    return camel_to_snake(name)


# --- a metric's id ----------------------------------------------------------------------------

def _to_id(self, id_keys=None, id_ignore_keys=None):
    """GX's IDDict.to_id, with JSON-ready kwargs hashed as they are."""
    keys = set(self.keys() if id_keys is None else id_keys) - set(
        self._id_ignore_keys if id_ignore_keys is None else id_ignore_keys)
    if not keys:
        return ()
    if len(keys) == 1:
        key = next(iter(keys))
        return f"{key}={self[key]!s}"
    data = {k: self[k] for k in keys}
    if not _json_ready(data):
        from great_expectations.util import convert_to_json_serializable     # not on the common path

        data = convert_to_json_serializable(data=data)
    return hashlib.md5(json.dumps(data, sort_keys=True).encode("utf-8"), usedforsecurity=False).hexdigest()


_SCALARS = (str, int, bool, type(None))


def _json_ready(value) -> bool:
    """What convert_to_json_serializable returns unchanged: exact types only (not numpy's, not
    subclasses); a float unless NaN (GX writes null); dict keys that are already text."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is float:
        return value == value
    if kind is dict:
        return all(type(k) is str and _json_ready(v) for k, v in value.items())
    if kind in (list, tuple):
        return all(_json_ready(v) for v in value)
    return False


# --- a row condition's rows -------------------------------------------------------------------

_gx_filter: list = [None]                       # GX's own _apply_row_condition_filter
_filtered: dict = {"frame": lambda: None, "rows": {}}     # the last batch frame filtered, and its rows per condition


def _filtered_once(self, data, row_condition, domain_kwargs: dict):
    """GX's _apply_row_condition_filter, once per batch frame and condition (the frame held weakly,
    so a frame that is gone is never taken for a new one at the same address)."""
    key = (repr(row_condition), domain_kwargs.get("condition_parser"))
    if _filtered["frame"]() is not data:
        _filtered["frame"], _filtered["rows"] = weakref.ref(data), {}
    if key not in _filtered["rows"]:
        _filtered["rows"][key] = _gx_filter[0](self, data, row_condition, domain_kwargs)
    return _filtered["rows"][key]
