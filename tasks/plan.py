"""Plans and zones as configuration: config/plans/<year>.yaml and config/zones.yaml."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"

DEFAULT_PHASES = {"P1": (1, 6), "P2": (7, 12), "Y": (1, 12)}
DEFAULT_AWARDS = {
    "flag": {"late_reports_allowed": 2, "min_budget_paid": 0, "max_si_arrears": 0, "min_growth_pct": 0,
             "min_initiatives": 1, "serious_severity": "nghiêm trọng", "any_severity_domains": ["PCCC"],
             "recommended_per_cluster": 1},
    "merit_collective": {"min_excellent_years": 2, "min_advanced_share_pct": 70, "min_cstdcs": 1,
                         "allowed_discipline": ["không", "khiển trách"]},
    "merit_individual": {"min_cstdcs_years": 2, "min_excellent_years": 2,
                         "min_initiatives_with_excellent": 2, "allowed_discipline": ["không"]},
}


def config_dir() -> Path:
    return Path(os.environ.get("THIDUA_CONFIG_DIR", CONFIG_DIR))


@dataclass(frozen=True)
class Plan:
    year: int
    phases: dict[str, tuple[int, int]]           # phase -> (first month, last month)
    targets: dict[str, float] = field(default_factory=dict)
    quotas: dict[str, int] = field(default_factory=dict)
    awards: dict[str, dict] = field(default_factory=lambda: DEFAULT_AWARDS)

    def months(self, phase: str) -> range:
        first, last = self.phases[phase]
        return range(first, last + 1)

    def cumulative_months(self, phase: str) -> range:
        """January to the phase's end (P2's includes P1)."""
        return range(1, self.phases[phase][1] + 1)

    def rule(self, award: str, name: str):
        return self.awards.get(award, {}).get(name, DEFAULT_AWARDS[award][name])


@lru_cache(maxsize=None)
def load_plan(year: int) -> Plan:
    """The year's plan file, or a plan with the default phases and rules and no targets."""
    path = config_dir() / "plans" / f"{year}.yaml"
    if not path.exists():
        return Plan(year, dict(DEFAULT_PHASES))
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    phases = {name: tuple(spec["months"]) for name, spec in doc.get("phases", {}).items()} or dict(DEFAULT_PHASES)
    awards = {k: {**DEFAULT_AWARDS[k], **(doc.get("awards", {}).get(k) or {})} for k in DEFAULT_AWARDS}
    return Plan(year, phases, {k: float(v) for k, v in (doc.get("targets") or {}).items()},
                {k: int(v) for k, v in (doc.get("quotas") or {}).items()}, awards)


@dataclass(frozen=True)
class ZoneConfig:
    zones: list[dict]
    province_changes: list[tuple[date, str]]


@lru_cache(maxsize=1)
def load_zones() -> ZoneConfig:
    doc = yaml.safe_load((config_dir() / "zones.yaml").read_text(encoding="utf-8"))
    changes = [(date.fromisoformat(str(c["from"])), c["province"]) for c in doc["province_changes"]]
    return ZoneConfig(doc["zones"], sorted(changes))
