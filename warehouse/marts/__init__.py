"""The marts BI reads (contract.md section 6): a module each, but rejections and warnings
share one (rejections.py) and so do the two dimensions (dimensions.py)."""

from warehouse.marts import (award_quota, dimensions, enterprise_scorecard, flag_eligibility, merit_collective_eligibility,
                             merit_individual_eligibility, phase_progress, rejections, reporting_completeness,
                             zone_phase_rollup)
from warehouse.marts.base import Mart

MARTS: dict[str, Mart] = {m.MART.name: m.MART for m in (
    phase_progress, zone_phase_rollup, enterprise_scorecard, reporting_completeness, flag_eligibility,
    merit_collective_eligibility, merit_individual_eligibility, award_quota, rejections)}
MARTS.update({m.name: m for m in (rejections.WARNINGS, dimensions.ZONES, dimensions.ENTERPRISES)})
