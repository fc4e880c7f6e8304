"""Column-wise exact decimals against Python's Decimal, value by value."""

import random
from decimal import Decimal

import numpy as np
import pandas as pd

from warehouse.marts.measures import DIVISORS, change_pct, exact_series, pct_series


def test_percentages_round_half_to_even_like_decimal():
    rng = random.Random(7)
    part = [rng.randint(0, 400) for _ in range(3000)] + [1, 3, 0]
    whole = [rng.randint(0, 400) for _ in range(3000)] + [8, 16, 0]     # 12.5 %, 18.75 %, none
    got = pct_series(part, whole).tolist()
    for p, w, g in zip(part, whole, got):
        expected = (Decimal(p) * 100 / Decimal(w)).quantize(Decimal("0.0001")) if w else None
        assert (g is pd.NA and expected is None) or g == expected


def test_amounts_divide_exactly_by_their_unit():
    rng = random.Random(8)
    amounts = np.array([rng.randint(-10**15, 10**15) for _ in range(2000)] + [0, -1, 2**62], dtype=np.int64)
    for indicator in ("production", "investment", "clean_land", "new_jobs"):
        got = exact_series(amounts, indicator).tolist()
        assert got == [Decimal(int(a)) / Decimal(DIVISORS[indicator]) for a in amounts]


def test_growth_percentages_are_decimals_quantized_even_for_huge_or_tied_values():
    rng = random.Random(9)
    ties = [2 * 10**6] * 4             # a change of 1 or 3 (up or down) is half a unit of the 4th place
    before = [rng.randint(1, 10**13) for _ in range(3000)] + [8, 16, 3, 1, 10**15, 7] + ties
    now = [b + rng.randint(-b, 2 * b) for b in before[:3000]] + [9, 13, 2, 10**16, 3 * 10**15, 7] + \
        [2 * 10**6 + d for d in (1, 3, -1, -3)]
    now += [rng.randint(0, 10**17) for _ in range(200)]          # beyond int64 once scaled: the Decimal path
    before += [rng.randint(1, 10**6) for _ in range(200)]
    got = change_pct(np.array(now, dtype=np.int64), np.array(before, dtype=np.int64))
    for n, b, g in zip(now, before, got.tolist()):
        assert g == float((Decimal(n - b) * 100 / Decimal(b)).quantize(Decimal("0.0001"))), (n, b)


def test_month_sums_add_every_part_under_its_own_key_as_a_plain_loop_does():
    from types import SimpleNamespace

    from warehouse.marts.measures import Part, month_sums

    rng = random.Random(12)

    def column(n, pool):
        return pd.Series([rng.choice(pool) for _ in range(n)], dtype="string[pyarrow]")

    shared = column(300, ["A", "B", "C", None])            # one source, several indicators (like monthly)
    parts = [Part(ind, np.array([rng.randint(1, 12) for _ in range(300)]), {"tax_code": shared},
                  np.array([rng.randint(0, 10**12) for _ in range(300)])) for ind in ("x", "y")]
    for ind, pool in (("y", ["D", "A", None]), ("z", ["E", "F", "B"])):   # keys that only later parts have
        n = rng.randint(1, 50)
        parts.append(Part(ind, np.array([rng.randint(1, 12) for _ in range(n)]), {"tax_code": column(n, pool)},
                          np.array([rng.randint(0, 10**12) for _ in range(n)])))
    parts.append(Part("w", np.array([3, 4]), {"tax_code": None}, np.array([5, 6])))   # a source without the key
    expected, overall = {}, {}
    for p in parts:
        keys = p.keys["tax_code"] if p.keys["tax_code"] is not None else [None] * len(p.month)
        for key, month, amount in zip(keys, p.month, p.amount):
            overall[(p.indicator, int(month))] = overall.get((p.indicator, int(month)), 0) + int(amount)
            if key is not None and key is not pd.NA:
                expected[(key, p.indicator, int(month))] = expected.get((key, p.indicator, int(month)), 0) + int(amount)
    sums = month_sums(SimpleNamespace(derived={"measures": parts}), "tax_code")
    got = {(k, i, m): int(sums.amounts[a, b, m - 1]) for a, k in enumerate(sums.keys)
           for b, i in enumerate(sums.indicators) for m in range(1, 13) if sums.present[a, b, m - 1]}
    assert got == expected and set(sums.keys) == {"A", "B", "C", "D", "E", "F"}
    total = month_sums(SimpleNamespace(derived={"measures": parts}), None)
    assert {(i, m): int(total.amounts[0, b, m - 1]) for b, i in enumerate(total.indicators) for m in range(1, 13)
            if total.present[0, b, m - 1]} == overall

