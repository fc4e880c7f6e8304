"""The duplicate rule inside one file (contract section 3) against a plain loop."""

import random

import pandas as pd

from tasks.forms import FORMS
from tasks.validate import settle_duplicates


def _monthly(rng: random.Random) -> pd.DataFrame:
    form = FORMS["monthly_report"]
    rows = []
    for n in range(200):
        value = rng.choice([1.0, 1.0, 1.0, 2.0])          # few variants: many exact copies, some conflicts
        row = {c: value for c in form.column_names}
        row.update({"_file_id": rng.choice([1, 2]), "_row_number": n + 2, "tax_code": rng.choice(["A", "B", "C"]),
                    "period": rng.choice(["2023-01", "2023-02"]),
                    "submitted_at": pd.Timestamp("2023-03-01") + pd.Timedelta(hours=rng.randrange(2))})
        rows.append(row)
    return pd.DataFrame(rows)


def test_exact_duplicates_count_once_and_conflicting_ones_are_all_rejected():
    form = FORMS["monthly_report"]
    for seed in range(5):
        rows = _monthly(random.Random(seed))
        kept, conflicting = settle_duplicates(form, rows)
        group = ["_file_id", *form.key, "submitted_at"]
        values = [c for c in form.column_names if c not in group]
        variants: dict[tuple, set] = {}
        for r in rows.to_dict("records"):
            variants.setdefault(tuple(r[c] for c in group), set()).add(tuple(r[c] for c in values))
        expect_conflict = [len(variants[tuple(r[c] for c in group)]) > 1 for r in rows.to_dict("records")]
        assert conflicting.tolist() == expect_conflict
        expected_kept = {(k, v) for k, vs in variants.items() if len(vs) == 1 for v in vs}
        got = [(tuple(r[c] for c in group), tuple(r[c] for c in values)) for r in kept.to_dict("records")]
        assert sorted(got) == sorted(expected_kept)          # one row per key, exact copies dropped
        assert any(expect_conflict) and len(kept) < len(rows) - sum(expect_conflict)   # both cases occur
