"""Facts helpers against plain loops over the same rows."""

import random

import pandas as pd

from tasks.transform import _operating, as_of, current_versions, sorted_union


def _versions(rng: random.Random) -> pd.DataFrame:
    rows = []
    for t in range(30):
        days = sorted(rng.sample(range(0, 900), rng.choice([1, 1, 2, 3])))
        for d in days:
            rows.append({"tax_code": f"T{t:02d}", "valid_from": pd.Timestamp("2021-01-01") + pd.Timedelta(days=d),
                         "zone_code": rng.choice(["QC", "DT", None]), "status": rng.choice(["hoạt động", "giải thể"])})
    return pd.DataFrame(rows).sample(frac=1, random_state=rng.randrange(1000)).reset_index(drop=True)


def _by_hand(probes: pd.DataFrame, versions: pd.DataFrame, field: str, fallback_first: bool) -> list:
    out = []
    for tax, when in zip(probes["tax_code"], probes["when"]):
        mine = sorted((v for v in versions.to_dict("records") if v["tax_code"] == tax), key=lambda v: v["valid_from"])
        valid = [v for v in mine if pd.notna(when) and v["valid_from"] <= when]
        value = valid[-1][field] if valid else None
        if fallback_first and mine and pd.isna(value):
            value = mine[0][field]
        out.append(None if pd.isna(value) else value)
    return out


def test_as_of_picks_the_version_valid_on_the_day_as_a_plain_loop_does():
    for seed in range(4):
        rng = random.Random(seed)
        versions = _versions(rng)
        probes = pd.DataFrame({
            "tax_code": [f"T{rng.randrange(33):02d}" for _ in range(400)],      # T30..T32 are not in the roster
            "when": [pd.NaT if rng.random() < 0.02 else pd.Timestamp("2020-12-01") + pd.Timedelta(days=rng.randrange(1000))
                     for _ in range(400)]})
        for fallback in (True, False):
            got = as_of(probes, "tax_code", "when", versions, ["zone_code", "status"], fallback_first=fallback)
            for field in ("zone_code", "status"):
                expected = _by_hand(probes, versions, field, fallback)
                assert [None if pd.isna(v) else v for v in got[field]] == expected, (seed, fallback, field)


def test_current_versions_keep_the_latest_submission_and_the_first_time_seen():
    rng = random.Random(7)
    rows = [{"tax_code": f"T{rng.randrange(5)}", "period": f"2023-0{rng.randrange(1, 4)}",
             "submitted_at": pd.Timestamp("2023-05-01") + pd.Timedelta(hours=rng.randrange(6)),
             "file_id": rng.randrange(1, 4), "row_number": rng.randrange(2, 50), "value": i} for i in range(120)]
    frame = pd.DataFrame(rows)
    got = current_versions(frame, ("tax_code", "period")).set_index(["tax_code", "period"])
    for (tax, period), group in frame.groupby(["tax_code", "period"]):
        latest = max(group.to_dict("records"), key=lambda r: (r["submitted_at"], r["file_id"], r["row_number"]))
        assert got.loc[(tax, period), "value"] == latest["value"]
        assert got.loc[(tax, period), "first_submitted_at"] == group["submitted_at"].min()
    assert len(got) == frame.groupby(["tax_code", "period"]).ngroups


def test_the_month_grid_has_each_enterprise_status_on_every_month_end_as_a_plain_loop_does():
    rng = random.Random(11)
    versions = _versions(rng)
    edge = pd.DataFrame([{"tax_code": "E1", "valid_from": pd.Timestamp("2022-03-31"), "status": "hoạt động"},
                         {"tax_code": "E1", "valid_from": pd.Timestamp("2022-04-01"), "status": "tạm ngừng"},
                         {"tax_code": "E1", "valid_from": pd.Timestamp("2022-04-20"), "status": "giải thể"}])
    versions = pd.concat([versions, edge], ignore_index=True)        # a month's last day, two in one month
    for year in (2021, 2022, 2023):
        grid = _operating(versions, year)
        probes = grid.rename(columns={"month_end": "when"})
        assert len(grid) == 12 * versions["tax_code"].nunique()
        assert list(grid["month_end"]) == [pd.Timestamp(year, m, 1) + pd.offsets.MonthEnd(0)
                                           for m in grid["month"]] and set(grid["month"]) == set(range(1, 13))
        got = [None if pd.isna(v) else v for v in grid["status"]]
        assert got == _by_hand(probes, versions, "status", fallback_first=False)


def test_positions_find_each_key_with_blanks_and_empty_sides():
    from tasks.transform import positions

    known = pd.Index(["T1", "T2", "T3"])
    cases = [(known, pd.Series(["T3", None, "T9", "T1"])), (pd.Index([]), pd.Series(["T1"])),
             (known, pd.Series([None, None])), (pd.Index([None]), ["T1"]), (known, [])]
    for index, probes in cases:
        keys = list(index)
        expected = [keys.index(p) if isinstance(p, str) and p in keys else -1 for p in probes]
        assert positions(index, probes).tolist() == expected, (keys, list(probes))


def test_sorted_union_is_python_sorted_of_the_set_of_both():
    rng = random.Random(7)
    for _ in range(50):
        a = [f"{rng.randrange(10**9):010d}" for _ in range(rng.randrange(0, 300))]
        b = rng.sample(a, len(a) // 2) + [f"{rng.randrange(10**9):010d}-00{rng.randrange(9)}" for _ in range(rng.randrange(0, 50))]
        got = sorted_union(pd.Index(a, dtype="str"), pd.Series(b, dtype=object))
        assert got.tolist() == sorted(set(a) | set(b))
    assert sorted_union(pd.Index([], dtype="str"), pd.DataFrame().index).tolist() == []


def test_tax_codes_give_every_frame_integer_keys_that_decode_to_its_own_codes():
    from types import SimpleNamespace

    from tasks.transform import Versions, tax_codes

    rng = random.Random(5)
    versions = _versions(rng)
    roster = Versions.of(versions, "tax_code")

    def column(n):       # roster codes, codes the roster lacks (T30..T33) and blanks
        return pd.Series([None if rng.random() < 0.05 else f"T{rng.randrange(34):02d}" for _ in range(n)], dtype="str")
    facts = SimpleNamespace(roster=roster, derived={}, reports=pd.DataFrame({"tax_code": column(500)}),
                            prior=pd.DataFrame({"tax_code": column(300)}), operating=_operating(versions, 2023))
    got = tax_codes(facts)
    keys = got.keys.tolist()
    assert keys[:len(roster.known)] == sorted(set(versions["tax_code"]))          # the roster's codes first
    assert len(set(keys)) == len(keys)
    for frame, codes in ((facts.reports, got.reports), (facts.prior, got.prior), (facts.operating, got.operating)):
        expected = [None if pd.isna(t) else t for t in frame["tax_code"]]
        assert [keys[c] if c >= 0 else None for c in codes] == expected
    strays = set(facts.reports["tax_code"].dropna()) | set(facts.prior["tax_code"].dropna())
    assert set(keys) == set(versions["tax_code"]) | strays
    assert tax_codes(facts) is got                                                # once per year
