"""Column-wise exact decimals against Python's Decimal, value by value."""

import random
from decimal import Decimal

import numpy as np
import pandas as pd

from warehouse.marts.measures import DIVISORS, exact_series, pct_series


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
