"""Raw rows of one form -> accepted typed rows + one rejection per broken rule.

Two layers: coercion (text -> types, in Python: tasks/coerce.py) finds cells
that cannot be read at all; the form's Great Expectations suite
(expectations/<form>.json) checks the rules on the typed rows. GX runs in
SUMMARY mode, and row ids are asked for only for the expectations that failed.
Then rows sharing a key inside one file are settled (contract section 3).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from tasks import coerce, gx_hotspots
from tasks.forms import (CCCD, CHOICE, DATE, DATETIME, FORMS, INTEGER, MONTH, MST, NUMBER, TEXT, ZERO,
                         ZONE, Form)
from tasks.messages import message
from tasks.suites import load_suite

REJECTION_COLUMNS = ["_file_id", "_row_number", "column", "value", "reason_code", "retry"]


@dataclass
class Context:
    """What the rules need to know beyond the rows themselves."""
    roster_tax_codes: set[str]
    zone_codes: set[str]
    zone_names: dict[str, str]        # folded name -> code
    zone_areas: dict[str, float]      # code -> latest area, ha
    run_yyyymm: int


@dataclass
class Validated:
    accepted: pd.DataFrame            # typed form columns + _file_id, _row_number
    rejections: pd.DataFrame          # REJECTION_COLUMNS (+ message_vi)


_PARSE_ERRORS = {NUMBER: "invalid_number", INTEGER: "invalid_integer", DATE: "invalid_date",
                 DATETIME: "invalid_datetime", MONTH: "invalid_period", MST: "invalid_tax_code",
                 CCCD: "invalid_person_id"}


def _coerce_column(col, values: pd.Series, ctx: Context) -> tuple[pd.Series, pd.Series]:
    if col.kind == TEXT:
        return coerce.text(values)
    if col.kind == CHOICE:
        return coerce.choice(values, col.choices)
    if col.kind == ZONE:
        return coerce.zone(values, ctx.zone_names)
    if col.kind == CCCD:            # already hashed at ingest; '!' marks an invalid ID
        return values.where(values != "!", None), values == "!"
    parse = {NUMBER: coerce.number, INTEGER: coerce.integer, DATE: coerce.date_,
             DATETIME: coerce.datetime_, MONTH: coerce.month, MST: coerce.tax_code}[col.kind]
    return parse(values)


def coerce_form(form: Form, raw: pd.DataFrame, ctx: Context) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    typed = raw[["_file_id", "_row_number"]].copy()
    errors = []
    for col in form.columns:
        values, bad = _coerce_column(col, raw[col.name], ctx)
        typed[col.name] = values
        if bad.any():
            errors.append(_errors(raw, bad, col.name, _PARSE_ERRORS.get(col.kind, "invalid_choice")))
    return typed, errors


def _errors(raw: pd.DataFrame, mask: pd.Series, column: str, reason: str, retry: bool = False) -> pd.DataFrame:
    hit = raw.loc[mask, ["_file_id", "_row_number"]].copy()
    hit["column"] = column
    hit["value"] = raw.loc[mask, column] if column in raw else None
    hit["reason_code"] = reason
    hit["retry"] = retry
    return hit


# --- Great Expectations -----------------------------------------------------------

def prepare_validation() -> None:
    """Import GX and build its context once per process."""
    _gx_batch_definition()


@lru_cache(maxsize=1)
def _gx_batch_definition():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    # GX fingerprints every batch below this size by hashing all of its cells, twice per validate
    # (0.03 s for a month of 20,000 reports); the fingerprint is only result metadata, never read here.
    pandas_execution_engine.HASH_THRESHOLD = 0
    gx_hotspots.apply()           # GX re-read each expectation's kwargs key by key, and converted every metric id
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("thidua")
    return source.add_dataframe_asset("submission").add_batch_definition_whole_dataframe("all")


@lru_cache(maxsize=None)
def _suite(form: str):
    from great_expectations.core import ExpectationSuite

    return ExpectationSuite(**load_suite(form))


def _gx_frame(form: Form, typed: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """The typed rows as GX compares them: floats for numbers, datetimes for dates, helpers."""
    frame = typed.reset_index(drop=True)
    for col in form.columns:
        if col.kind in (NUMBER, INTEGER):
            frame[col.name] = frame[col.name].astype("float64")
        elif col.kind == DATE:
            frame[col.name] = pd.to_datetime(frame[col.name])
        elif col.kind == MONTH:
            codes, months = pd.factorize(frame[col.name])       # a few dozen distinct months
            numbers = np.append(pd.to_numeric(pd.Series(months).str.replace("-", ""), errors="coerce"), np.nan)
            frame[f"_{col.name}_yyyymm"] = numbers[codes]
    for col in form.columns:
        if col.reference or (form.name == "zone_events" and col.name == "zone_code"):
            known = ctx.roster_tax_codes if col.reference == "roster" else ctx.zone_codes
            # pandas' nullable booleans, not objects: GX's null checks read a mask, not every cell
            blank = frame[col.name].isna().to_numpy()
            frame[f"_{col.name}_known"] = pd.arrays.BooleanArray(frame[col.name].isin(known).to_numpy(), blank)
    if form.name == "land_clearance":
        frame["_zone_area"] = frame["zone_code"].map(ctx.zone_areas).astype("float64")
    return frame


def run_suite(form: Form, typed: pd.DataFrame, raw: pd.DataFrame, ctx: Context) -> list[pd.DataFrame]:
    """The whole suite in BOOLEAN_ONLY mode (half the cost of SUMMARY: no counts or samples); only
    the expectations that failed run again, together, in COMPLETE mode for their row ids."""
    if typed.empty:
        return []
    batch = _gx_batch_definition().get_batch(batch_parameters={"dataframe": _gx_frame(form, typed, ctx)})
    params = {"run_yyyymm": ctx.run_yyyymm}
    summary = batch.validate(_suite(form.name), result_format="BOOLEAN_ONLY", expectation_parameters=params)
    failed = [r.expectation_config for r in (_ran(result, form) for result in summary.results) if not r.success]
    if not failed:
        return []
    from great_expectations.core import ExpectationSuite

    rerun = ExpectationSuite(name=f"{form.name}_failed", expectations=[c.to_domain_obj() for c in failed])
    complete = batch.validate(rerun, result_format={"result_format": "COMPLETE"}, expectation_parameters=params)
    return [_failures(raw, r.expectation_config, _ran(r, form).result.get("unexpected_index_list") or [])
            for r in complete.results]


def _ran(result, form: Form):
    """The expectation's result, unless GX could not evaluate it (a broken suite fails the run)."""
    if result.exception_info and result.exception_info.get("raised_exception"):
        raise RuntimeError(f"GX expectation {result.expectation_config.type} on {form.name} failed to run: "
                           f"{result.exception_info.get('exception_message')}")
    return result


def _failures(raw: pd.DataFrame, config, positions: list[int]) -> pd.DataFrame:
    mask = pd.Series(False, index=raw.index)
    mask.iloc[list(positions)] = True
    meta = config.meta or {}
    return _errors(raw, mask, meta.get("column", config.kwargs.get("column")),
                   meta.get("reason_code", config.type), bool(meta.get("retry")))


# --- duplicates inside one file --------------------------------------------------------

def settle_duplicates(form: Form, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Identical rows count once; same key and submitted_at with other values: all rejected.

    Returns the rows to keep and a mask (over `rows`) of the conflicting ones.
    """
    group = ["_file_id", *form.key, "submitted_at"]
    values = [c for c in form.column_names if c not in group]
    dup = rows.duplicated(group, keep=False)
    if not dup.any():
        return rows, pd.Series(False, index=rows.index)
    exact = rows.duplicated([*group, *values], keep="first")
    kept = rows[~exact]
    conflict_keys = kept[kept.duplicated(group, keep=False)][group].drop_duplicates()
    marker = rows[group].merge(conflict_keys.assign(_c=True), on=group, how="left")["_c"].fillna(False)
    conflicting = pd.Series(marker.to_numpy(dtype=bool), index=rows.index)
    return rows[~exact & ~conflicting], conflicting


# --- the whole form ---------------------------------------------------------------------

def validate_form(form_name: str, raw: pd.DataFrame, first_seen: dict[int, pd.Timestamp],
                  ctx: Context) -> Validated:
    form = FORMS[form_name]
    raw = raw.reset_index(drop=True)
    typed, errors = coerce_form(form, raw, ctx)
    errors += run_suite(form, typed, raw, ctx)
    rejected = _combine(errors, raw)
    bad_rows = raw.index.isin(rejected.index.unique()) if not rejected.empty else pd.Series(False, index=raw.index)
    candidates = typed[~pd.Series(bad_rows, index=raw.index)].copy()
    seen = candidates["_file_id"].map(first_seen)
    candidates["submitted_at"] = candidates["submitted_at"].fillna(seen)
    accepted, conflicting = settle_duplicates(form, candidates)
    if conflicting.any():
        key_col = form.key[0]
        dup = _errors(raw.loc[candidates.index], conflicting, key_col, "conflicting_duplicate")
        rejected = pd.concat([rejected, dup])
    for col in form.columns:
        if col.blank == ZERO:
            accepted[col.name] = accepted[col.name].fillna(0.0)
    return Validated(accepted.reset_index(drop=True), _with_messages(form_name, rejected))


def _combine(errors: list[pd.DataFrame], raw: pd.DataFrame) -> pd.DataFrame:
    """All errors, indexed by raw row; a GX failure on a cell that could not be read is dropped."""
    if not errors:
        return pd.DataFrame(columns=REJECTION_COLUMNS)
    frame = pd.concat(errors)
    parse_failed = frame["reason_code"].str.startswith("invalid_") & (frame["reason_code"] != "invalid_choice")
    unreadable = set(zip(frame.index[parse_failed], frame.loc[parse_failed, "column"]))
    cells = pd.Series([(i, c) in unreadable for i, c in zip(frame.index, frame["column"])], index=frame.index)
    return frame[~(cells & (frame["reason_code"] == "missing_value"))]


def _with_messages(form: str, rejected: pd.DataFrame) -> pd.DataFrame:
    rejected = rejected.reset_index(drop=True)
    if form == "nominations":
        rejected.loc[rejected["column"] == "person_id", "value"] = None   # never echo a citizen ID
    rejected["message_vi"] = [message(r, form, c, v) for r, c, v in
                              zip(rejected["reason_code"], rejected["column"], rejected["value"])]
    return rejected
