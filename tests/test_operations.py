"""Daily operations: deployments on a real Prefect server, backfills, concurrent runs, the run lock."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

import small
from conftest import AS_OF, mart_sql, query, run_nightly
from test_pipeline import snapshot

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[1]
THIDUA = [sys.executable, "-c", "from flows.cli import main; main()"]


def _tiny_landing(root: Path) -> Path:
    small.roster(root)
    small.monthly(root, "monthly_report/m.csv", [small.monthly_row(small.A, f"2023-{m:02d}", str(1000 + m))
                                                for m in range(1, 13)] + [small.monthly_row(small.B, "2023-01")])
    return root


def _cli(args: list[str], env: dict, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(THIDUA + args, env={**os.environ, **env}, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


# --- backfill -----------------------------------------------------------------------------------

def test_backfill_gives_the_marts_of_one_full_run(prefect_harness, demo_sqlite, demo_landing, tmp_path):
    from flows.backfill import backfill

    part = tmp_path / "part"
    for path in demo_landing.rglob("*"):
        rel = path.relative_to(demo_landing).as_posix()
        if path.is_file() and not rel.startswith(".") and ("/2022/" in rel or rel.startswith(("enterprises", "zone_events"))):
            (part / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, part / rel)
    url = f"sqlite:///{tmp_path / 'w.db'}"
    run_nightly(part, url)
    backfill("2022-01", "2023-12", str(demo_landing), url, AS_OF)
    full = snapshot(demo_sqlite)
    assert snapshot(url) == full
    empty = tmp_path / "cleaned"
    empty.mkdir()
    result = backfill("2023-01", "2023-06", str(empty), url, AS_OF)
    assert result["files_new"] == 0 and sum(result["rows_accepted"].values()) > 0
    # the run's process CPU (the bench adds PostgreSQL's): some, and no more than its cores could give
    assert 0 < result["cpu_seconds"] <= result["seconds"] * len(os.sched_getaffinity(0)) + 0.05
    assert snapshot(url) == full


# --- the run lock -------------------------------------------------------------------------------

def _hold_lock(url: str):
    """Hold the warehouse the way a run does: SQLite's write lock, PostgreSQL's advisory lock."""
    from warehouse.dialect import acquire_run_lock, make_engine

    engine = make_engine(url)
    conn = engine.connect()
    conn.begin()
    acquire_run_lock(conn, 5)
    return engine, conn


def _warehouse(backend: str, tmp_path: Path, request) -> str:
    return f"sqlite:///{tmp_path / 'w.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")


def test_the_command_waits_then_exits_1_with_a_clear_message(prefect_harness, tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    landing = _tiny_landing(tmp_path / "landing")
    run_nightly(landing, url)
    before = snapshot(url)
    small.monthly(landing, "monthly_report/more.csv", [small.monthly_row(small.B, "2023-02")])
    engine, conn = _hold_lock(url)
    try:
        proc = _cli(["run", "--landing", str(landing), "--warehouse", url, "--as-of", AS_OF],
                    {"THIDUA_LOCK_WAIT_SECONDS": "2"}, tmp_path)
        out, err = proc.communicate(timeout=180)
    finally:
        conn.rollback()
        conn.close()
        engine.dispose()
    assert proc.returncode == 1, err
    assert "another thidua run holds the warehouse; waited 2 s; nothing was changed" in err
    assert snapshot(url) == before


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_run_that_cannot_get_the_lock_changes_nothing(backend, prefect_harness, tmp_path, request, monkeypatch):
    from warehouse.dialect import WarehouseBusy

    url = _warehouse(backend, tmp_path, request)
    landing = _tiny_landing(tmp_path / "landing")
    run_nightly(landing, url)
    before = snapshot(url)
    small.monthly(landing, "monthly_report/more.csv", [small.monthly_row(small.B, "2023-02")])
    monkeypatch.setenv("THIDUA_LOCK_WAIT_SECONDS", "1")
    engine, conn = _hold_lock(url)
    try:
        with pytest.raises(WarehouseBusy, match="another thidua run holds the warehouse"):
            run_nightly(landing, url)
    finally:
        conn.rollback()
        conn.close()
        engine.dispose()
    assert snapshot(url) == before
    monkeypatch.delenv("THIDUA_LOCK_WAIT_SECONDS")
    assert run_nightly(landing, url)["files_new"] == 1               # and the next run takes the file


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_runs_started_together_give_the_marts_of_one(backend, prefect_harness, tmp_path, request):
    from concurrent.futures import ThreadPoolExecutor

    url = _warehouse(backend, tmp_path, request)
    landing = _tiny_landing(tmp_path / "landing")
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: run_nightly(landing, url), range(2)))
    assert sorted(r["files_new"] for r in results) == [0, 2]          # the second waited, then found the work done
    reference = f"sqlite:///{tmp_path / 'one.db'}"
    run_nightly(landing, reference)
    assert snapshot(url) == snapshot(reference)


# --- deployments on a real Prefect server ------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception:
            pass
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    """A real Prefect server on loopback, with its own temporary PREFECT_HOME."""
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path_factory.mktemp("prefect")), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    server = subprocess.Popen([str(REPO / ".venv/bin/prefect"), "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200, 120, "the Prefect server")
        yield env
    finally:
        server.terminate()
        server.wait(30)


def test_prefect_yaml_declares_both_deployments():
    doc = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    deps = {d["name"]: d for d in doc["deployments"]}
    assert deps["nightly"]["schedules"][0]["cron"] == "0 1 * * *"
    assert deps["nightly"]["schedules"][0]["timezone"] == "Asia/Ho_Chi_Minh"
    assert {d["concurrency_limit"] for d in deps.values()} == {1}
    assert set(deps["backfill"]["parameters"]) == {"period_from", "period_to"}


def test_served_nightly_deployment_runs_on_a_real_server(prefect_server, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    landing = _tiny_landing(tmp_path / "landing")
    url = f"sqlite:///{tmp_path / 'w.db'}"
    env = {**prefect_server, "THIDUA_LANDING": str(landing), "THIDUA_WAREHOUSE_URL": url, "THIDUA_AS_OF": AS_OF,
           "THIDUA_PII_KEY": "k", "THIDUA_ARCHIVE": str(tmp_path / "archive")}
    serve = subprocess.Popen(THIDUA + ["serve"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        with temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}), get_client(sync_client=True) as client:
            nightly = _wait(lambda: client.read_deployment_by_name("nightly/nightly"), 90, "the served deployment")
            assert nightly.schedules[0].schedule.cron == "0 1 * * *"
            assert nightly.schedules[0].schedule.timezone == "Asia/Ho_Chi_Minh"
            assert nightly.global_concurrency_limit.limit == 1
            run = client.create_flow_run_from_deployment(nightly.id)
            final = _wait(lambda: (r := client.read_flow_run(run.id)).state.is_final() and r, 240, "the flow run")
            assert final.state.is_completed(), final.state
            assert any("phase progress" in (a.data or "") for a in client.read_artifacts())
    finally:
        serve.terminate()
        serve.wait(30)
    production = query(url, f"SELECT actual FROM {mart_sql(url, 'phase_progress')} "
                            "WHERE phase = 'Y' AND indicator = 'production'")
    assert production[0]["actual"] == pytest.approx((sum(1000 + m for m in range(1, 13)) + 1000) / 1000)


def test_prefect_yaml_registers_on_a_work_pool(prefect_server):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    prefect = str(REPO / ".venv/bin/prefect")
    env = {**prefect_server, "THIDUA_HOME": str(REPO)}
    for args in (["work-pool", "create", "thidua", "--type", "process"], ["deploy", "--all"]):
        done = subprocess.run([prefect, "--no-prompt", *args], env=env, capture_output=True, text=True, cwd=REPO)
        assert done.returncode == 0, done.stdout + done.stderr
    with temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}), get_client(sync_client=True) as client:
        nightly = client.read_deployment_by_name("nightly/nightly")
        backfill = client.read_deployment_by_name("backfill/backfill")
    assert nightly.work_pool_name == "thidua" and nightly.schedules[0].schedule.timezone == "Asia/Ho_Chi_Minh"
    assert nightly.global_concurrency_limit.limit == 1 and backfill.global_concurrency_limit.limit == 1
    assert backfill.parameters == {"period_from": "2023-01", "period_to": "2023-12"}


def test_dask_task_runner_gives_the_same_marts(prefect_harness, tmp_path):
    from flows.nightly import nightly, task_runner
    from test_awards import build_landing

    landing = tmp_path / "landing"
    build_landing(landing)                      # every form the award marts read, 14 enterprises
    threads, dask = f"sqlite:///{tmp_path / 'threads.db'}", f"sqlite:///{tmp_path / 'dask.db'}"
    run_nightly(landing, threads)
    nightly.with_options(task_runner=task_runner("dask"))(str(landing), dask, AS_OF)
    assert snapshot(dask) == snapshot(threads)
    assert query(dask, "SELECT count(*) AS n FROM mart_flag_eligibility WHERE year = 2023")[0]["n"] == 14


def test_the_run_summary_gives_each_kind_of_step_its_seconds_in_the_order_they_first_ran():
    from flows.pipeline import RunSummary
    from flows.report import step_seconds

    summary = RunSummary(steps=[("discover", 0.04), ("read:monthly_report", 0.3), ("validate:monthly_report", 1.0),
                                ("read:monthly_report", 0.5), ("validate:monthly_report", 1.2),
                                ("validate:investment", 0.1), ("refresh", 2.0)])
    assert step_seconds(summary) == "discover 0.0 s, read 0.8 s, validate 2.3 s, refresh 2.0 s"
