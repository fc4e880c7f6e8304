"""The Emulation Flag's ranking within a cluster against a pairwise count."""

import random
from decimal import Decimal

import numpy as np
import pandas as pd

from warehouse.marts.flag_eligibility import MART, rank


def test_cluster_ranks_match_a_pairwise_count_with_ties_blanks_and_no_cluster():
    rng = random.Random(13)
    n = 400
    frame = pd.DataFrame({c: [None] * n for c in MART.column_names})
    frame["eligible"] = [rng.random() < 0.7 for _ in range(n)]
    frame["cluster"] = [rng.choice(["Cụm 1", "Cụm 2", "Cụm 3", None]) for _ in range(n)]
    frame["growth_pct"] = [rng.choice([np.nan, 0.0, 5.0, 12.5, -3.0, rng.uniform(-10, 30)]) for _ in range(n)]
    frame["production"] = [rng.choice([Decimal("1.5"), Decimal("2"), Decimal(rng.randint(0, 99))]) for _ in range(n)]
    ranked = rank(frame, per_cluster=3)
    key = [(pd.isna(g), -(0 if pd.isna(g) else g), -float(p)) for g, p in zip(frame["growth_pct"], frame["production"])]
    for i in range(n):
        expected = None
        if frame["eligible"][i] and pd.notna(frame["cluster"][i]):
            expected = 1 + sum(key[j] < key[i] for j in range(n)
                               if frame["eligible"][j] and frame["cluster"][j] == frame["cluster"][i])
        assert ranked["cluster_rank"][i] == expected, i
        assert bool(ranked["recommended"][i]) == (expected is not None and expected <= 3)


def test_reasons_and_their_joined_column_are_those_of_a_plain_loop():
    from warehouse.marts.award_rules import _reasons, join_reason_columns

    rng = random.Random(3)
    n = 300
    passed = np.array([rng.random() < 0.6 for _ in range(n)])
    counts, names = np.array([rng.randrange(-5, 40) for _ in range(n)]), [f"T{i}" for i in range(n)]
    got = _reasons(passed, lambda c, t: f"{t}: {c} ({type(c).__name__})", counts, names)
    assert got == [None if ok else f"{t}: {c} (int)" for ok, c, t in zip(passed.tolist(), counts.tolist(), names)]

    named = {label: [rng.choice([None, "", f"{label} sai {i}"]) for i in range(n)] for label in ("báo cáo", "BHXH", "tăng trưởng")}
    expected = [" | ".join(f"{label}: {named[label][i]}" for label in named if named[label][i]) or None for i in range(n)]
    assert join_reason_columns(named) == expected
    assert join_reason_columns({}) == []
