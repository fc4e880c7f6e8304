"""Configuration from the environment (THIDUA_*) and the command line; never from files in the repo."""

from __future__ import annotations

import os
import re
import sys
from datetime import date
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_PII_KEY = "thidua-development-key-not-for-production"


class ConfigError(ValueError):
    """A usage or configuration error: exit status 2, with a one-line message."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="THIDUA_")

    landing: Path = Path("landing")
    warehouse_url: str = "sqlite:///warehouse.db"
    pii_key: str | None = None               # keyed hash of citizen IDs
    lock_wait_seconds: float = 60.0          # how long a second run waits for the first
    as_of: date | None = None                # the run's date (default: today, Asia/Ho_Chi_Minh)
    db_retries: int = 3                      # transient database errors: whole-run retries
    archive: Path = Path("archive")          # Parquet archive of raw batches, for backfills
    batch_bytes: int = 16 * 1024 * 1024      # landing files validated together, at most about this size


def resolve(landing: str | Path | None = None, warehouse: str | None = None, **overrides) -> Settings:
    values = {k: v for k, v in {"landing": landing, "warehouse_url": warehouse, **overrides}.items() if v is not None}
    try:
        settings = Settings(**values)
    except ValueError as exc:      # pydantic's ValidationError, e.g. a malformed --as-of
        raise ConfigError(" ".join(str(exc).split())) from exc
    if not settings.pii_key:
        if not settings.warehouse_url.startswith("sqlite"):
            raise ConfigError("THIDUA_PII_KEY is not set: citizen IDs are stored only as a keyed hash; "
                             "set THIDUA_PII_KEY to a secret before loading into PostgreSQL")
        sys.stderr.write("note: THIDUA_PII_KEY is not set; using the development key (fine for the demo only)\n")
        settings.pii_key = DEV_PII_KEY
    os.environ["THIDUA_PII_KEY"] = settings.pii_key
    return settings


PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def check_range(period_from: str, period_to: str) -> tuple[str, str]:
    """A backfill's period range, YYYY-MM to YYYY-MM."""
    for value in (period_from, period_to):
        if not PERIOD.match(value or ""):
            raise ConfigError(f"period {value!r} is not YYYY-MM (for example 2023-01)")
    if period_from > period_to:
        raise ConfigError(f"--from {period_from} is after --to {period_to}")
    return period_from, period_to
