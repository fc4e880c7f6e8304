"""The marts BI reads (contract.md section 6), one module each."""

from warehouse.marts import (award_quota, dimensions, enterprise_scorecard, flag_eligibility, merit_collective_eligibility,
                             merit_individual_eligibility, phase_progress, rejections, reporting_completeness,
                             warnings, zone_phase_rollup)
from warehouse.marts.base import Mart

MARTS: dict[str, Mart] = {m.MART.name: m.MART for m in (
    phase_progress, zone_phase_rollup, enterprise_scorecard, reporting_completeness, flag_eligibility,
    merit_collective_eligibility, merit_individual_eligibility, award_quota, rejections, warnings)}
MARTS.update({m.name: m for m in (dimensions.ZONES, dimensions.ENTERPRISES)})
