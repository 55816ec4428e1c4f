"""`roster app`: the JSON API in-process (FastAPI's test client) and the page in a real browser.

The API must answer like the CLI (same objective, the CLI's exit-code meaning), keep every path inside the
workspace folder, refuse other origins and hosts, require the token when asked, and keep sessions apart.
The page (Playwright driving Debian's Chromium) must re-solve on edits, lock and exclude creators, compare
what-ifs, download a YAML the CLI reads to the same roster, log no console error, and show hostile pool
text as text.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
import yaml

pytest.importorskip("fastapi", reason="the app extra is not installed (pip install -e '.[app]')")

from fastapi.testclient import TestClient

from optimizer.app import create_app
from optimizer.cli import main
from tests.conftest import REPO, base_pool

ECO = "scenarios/eco-fashion/scenario.yaml"
SESSION = {"X-Roster-Session": "session-aaaa-1111"}
OTHER = {"X-Roster-Session": "session-bbbb-2222"}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(REPO), base_url="http://127.0.0.1:8765") as c:
        yield c


def _scenario(client, path: str = ECO) -> dict:
    r = client.get("/api/scenario", params={"path": path})
    assert r.status_code == 200, r.text
    return r.json()["scenario"]


def test_health(client) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_solve_equals_roster_optimize(client, tmp_path: Path, runner) -> None:
    r = client.post("/api/solve", json={"scenario": _scenario(client)}, headers=SESSION)
    assert r.status_code == 200, r.text
    api = r.json()
    assert runner.invoke(main, ["optimize", str(REPO / ECO), "--out", str(tmp_path / "cli")]).exit_code == 0
    cli = json.loads((tmp_path / "cli" / "result.json").read_text())
    assert api["objective_value"] == pytest.approx(cli["objective_value"], rel=1e-9)
    assert api["status"] == "optimal" and api["verification"]["passed"]


def test_a_solve_carries_the_reports_simulated_ranges(client) -> None:
    """The page's P10-P90 figures are `roster simulate`'s on the same roster, draws and seed (the report's)."""
    from optimizer.outlook import REPORT_DRAWS, REPORT_SEED
    from optimizer.problem import load_problem
    from optimizer.simulate import simulate

    r = client.post("/api/solve", json={"scenario": _scenario(client)}, headers=SESSION)
    assert r.status_code == 200, r.text
    api = r.json()
    ranges = api["ranges"]
    assert ranges["draws"] == REPORT_DRAWS and ranges["seed"] == REPORT_SEED
    roster = {e["creator_id"]: e["posts"] for e in api["roster"]}
    cli = simulate(load_problem(REPO / ECO), roster, REPORT_DRAWS, REPORT_SEED).to_dict()
    for figure in ("conversions", "cpa", "roi", "spend"):
        assert ranges["metrics"][figure] == pytest.approx(cli["metrics"][figure], rel=1e-12), figure
    conv = ranges["metrics"]["conversions"]
    assert 0 <= conv["p10"] < conv["p50"] < conv["p90"], conv  # a real spread, not a point


def test_overrides_are_merged_onto_the_scenario(client) -> None:
    sc = _scenario(client)
    r = client.post("/api/solve", json={"scenario": sc, "overrides": {"budget": 12_000}}, headers=SESSION)
    assert r.status_code == 200 and r.json()["budget"] == 12_000
    assert r.json()["total_cost"] <= 12_000


@pytest.mark.parametrize("path", ["../outside.csv", "/etc/passwd", "scenarios/../../etc/passwd", "C:/x.csv"])
def test_a_path_escaping_the_folder_is_refused(client, path) -> None:
    sc = {**_scenario(client), "pool": path}
    r = client.post("/api/solve", json={"scenario": sc}, headers=SESSION)
    assert r.status_code == 400 and r.json()["exit_code"] == 2
    assert "inside the workspace folder" in r.json()["error"]


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "workspace"
    root.mkdir()
    secret = tmp_path / "secret.csv"
    base_pool().to_csv(secret, index=False)
    (root / "pool.csv").symlink_to(secret)
    with TestClient(create_app(root), base_url="http://127.0.0.1") as c:
        r = c.post("/api/solve", json={"scenario": {"name": "x", "pool": "pool.csv", "budget": 500}}, headers=SESSION)
    assert r.status_code == 400 and "leads outside the workspace folder" in r.json()["error"]


def test_infeasible_is_422_with_the_conflict(client) -> None:
    sc = _scenario(client)
    r = client.post("/api/solve", json={"scenario": sc, "overrides": {"budget": 100}}, headers=SESSION)
    body = r.json()
    assert r.status_code == 422 and body["exit_code"] == 3
    assert "budget" in body["infeasibility"]["rules"] and body["result"]["status"] == "infeasible"


def test_bad_input_is_400_with_the_row_numbered_message(client) -> None:
    bad = base_pool()
    bad.loc[2, "cost"] = "lots"
    r = client.post("/api/uploads", files={"file": ("pool.csv", bad.to_csv(index=False), "text/csv")}, headers=SESSION)
    assert r.status_code == 200, r.text
    scenario = {"name": "uploaded", "pool": r.json()["path"], "budget": 500}
    r = client.post("/api/solve", json={"scenario": scenario}, headers=SESSION)
    assert r.status_code == 400 and r.json()["exit_code"] == 2
    assert "row 4 (creator c-03), column 'cost'" in r.json()["error"]


def test_uploads_and_jobs_belong_to_their_session(client) -> None:
    r = client.post("/api/uploads", files={"file": ("mine.csv", base_pool().to_csv(index=False), "text/csv")},
                    headers=SESSION)  # fmt: skip
    path = r.json()["path"]
    scenario = {"name": "uploaded", "pool": path, "budget": 500}
    assert client.post("/api/solve", json={"scenario": scenario}, headers=SESSION).status_code == 200
    other = client.post("/api/solve", json={"scenario": scenario}, headers=OTHER)
    assert other.status_code == 400 and "not found" in other.json()["error"]
    job = client.post("/api/jobs", json={"kind": "solve", "scenario": scenario}, headers=SESSION).json()["id"]
    assert client.get(f"/api/jobs/{job}", headers=OTHER).status_code == 400
    for _ in range(100):
        status = client.get(f"/api/jobs/{job}", headers=SESSION)
        if status.status_code == 200 and status.json().get("state") != "running":
            break
        time.sleep(0.05)
    assert status.json()["status"] == "optimal"
    csv = client.get(f"/api/jobs/{job}/roster.csv", headers=SESSION)
    assert csv.status_code == 200 and csv.text.startswith("creator_id,")


def test_the_upload_limit_is_enforced(tmp_path: Path) -> None:
    with TestClient(create_app(tmp_path, max_upload_mb=0.1), base_url="http://127.0.0.1") as c:
        big = "x" * 200_000
        r = c.post("/api/uploads", files={"file": ("big.csv", big, "text/csv")}, headers=SESSION)
    assert r.status_code == 400 and "upload limit" in r.json()["error"]


def test_other_origins_and_hosts_are_refused(client) -> None:
    sc = _scenario(client)
    r = client.post("/api/solve", json={"scenario": sc}, headers={**SESSION, "Origin": "http://evil.example"})
    assert r.status_code == 403 and "only this app's own page" in r.json()["error"]
    assert client.get("/api/health", headers={"Host": "evil.example"}).status_code == 403  # DNS rebinding
    r = client.post("/api/solve", content="{}", headers={**SESSION, "Content-Type": "text/plain"})
    assert r.status_code == 400 and "as JSON" in r.json()["error"]  # a plain form post cannot carry a job


def test_a_token_is_required_beyond_this_machine() -> None:
    with TestClient(create_app(REPO, token="s3cret-token"), base_url="http://192.0.2.10:8765") as c:
        assert c.get("/api/scenarios").status_code == 401
        assert c.get("/api/scenarios", headers={"X-Roster-Token": "s3cret-token"}).status_code == 200
        page = c.get("/?token=s3cret-token")
        assert page.status_code == 200 and "roster_token" in page.headers.get("set-cookie", "")
        assert c.get("/api/scenarios").status_code == 200  # the cookie the page got


def test_the_yaml_round_trips_through_the_cli(client, tmp_path: Path, runner) -> None:
    sc = _scenario(client)
    sc["budget"] = 11_000
    sc.setdefault("eligibility", {}).setdefault("exclude", []).append("c-0068")
    api = client.post("/api/solve", json={"scenario": sc}, headers=SESSION).json()
    text = client.post("/api/yaml", json={"scenario": sc}, headers=SESSION).text
    saved = tmp_path / "downloads" / "scenario.yaml"  # anywhere: the paths inside are absolute
    saved.parent.mkdir()
    saved.write_text(text)
    assert yaml.safe_load(text)["budget"] == 11_000
    assert runner.invoke(main, ["optimize", str(saved), "--out", str(tmp_path / "o")]).exit_code == 0
    cli = json.loads((tmp_path / "o" / "result.json").read_text())
    assert cli["objective_value"] == pytest.approx(api["objective_value"], rel=1e-9)
    assert [e["creator_id"] for e in cli["roster"]] == [e["creator_id"] for e in api["roster"]]


def _finish(client, job_id: str):
    for _ in range(600):
        r = client.get(f"/api/jobs/{job_id}", headers=SESSION)
        if r.status_code != 200 or r.json().get("state") != "running":
            return r
        time.sleep(0.05)
    raise AssertionError("the job never finished")


def test_next_best_rosters_come_with_the_solve(client) -> None:
    job = client.post("/api/jobs", json={"kind": "solve", "scenario": _scenario(client), "alternatives": 2},
                      headers=SESSION).json()  # fmt: skip
    doc = _finish(client, job["id"]).json()
    values = [doc["value"], *(a["value"] for a in doc["alternatives"])]
    assert len(doc["alternatives"]) == 2 and values == sorted(values, reverse=True)
    rosters = [frozenset(e["creator_id"] for e in doc["roster"]),
               *(frozenset(e["creator_id"] for e in a["roster"]) for a in doc["alternatives"])]  # fmt: skip
    assert len(set(rosters)) == 3
    bad = client.post("/api/jobs", json={"kind": "solve", "scenario": _scenario(client), "alternatives": 99},
                      headers=SESSION)  # fmt: skip
    assert bad.status_code == 400 and "from 0 to 20" in bad.json()["error"]


def test_a_declined_creator_is_replaced_with_the_fewest_changes(client) -> None:
    sc = _scenario(client)
    first = client.post("/api/solve", json={"scenario": sc}, headers=SESSION).json()
    before = {e["creator_id"]: e["posts"] for e in first["roster"]}
    gone = sorted(c for c in before if c != "c-0051")[0]
    job = client.post("/api/jobs", json={"kind": "replace", "scenario": sc, "before": before, "declined": [gone]},
                      headers=SESSION).json()  # fmt: skip
    doc = _finish(client, job["id"]).json()
    after = {e["creator_id"] for e in doc["roster"]}
    assert gone not in after and doc["change"]["declined"] == [gone]
    assert doc["change"]["changes"] == 0 and set(before) - {gone} <= after  # nobody else had to leave
    assert gone in doc["scenario_after"]["eligibility"]["exclude"]
    assert doc["scenario_after"]["pool"] == sc["pool"]  # paths stay relative to the workspace


def test_a_long_frontier_reports_progress_and_can_be_cancelled(client) -> None:
    sc = _scenario(client)
    job = client.post("/api/jobs", json={"kind": "frontier", "scenario": sc, "budgets": "2000:40000:2000"},
                      headers=SESSION).json()  # fmt: skip
    seen = []
    for _ in range(400):
        status = client.get(f"/api/jobs/{job['id']}", headers=SESSION).json()
        seen.append(status.get("done", 0))
        if status.get("done", 0) >= 3:
            break
        time.sleep(0.05)
    client.delete(f"/api/jobs/{job['id']}", headers=SESSION)
    for _ in range(200):
        final = client.get(f"/api/jobs/{job['id']}", headers=SESSION)
        if final.status_code != 200 or final.json().get("state") != "running":
            break
        time.sleep(0.05)
    assert final.status_code == 409 and final.json()["state"] == "cancelled"
    assert max(seen) >= 3 and final.json()["done"] < final.json()["total"]


# --- the page in a real browser ---------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_browser = pytest.mark.skipif(
    CHROMIUM is None or importlib.util.find_spec("playwright") is None or importlib.util.find_spec("uvicorn") is None,
    reason="needs Debian's chromium, playwright and uvicorn (.ci/run installs them)",
)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app on a free local port, on a copy of the repository's scenarios plus a hostile pool."""
    import socket

    import uvicorn

    root = tmp_path_factory.mktemp("workspace")
    shutil.copytree(REPO / "scenarios" / "eco-fashion", root / "scenarios" / "eco-fashion")
    hostile = base_pool()
    hostile["handle"] = ["<img src=x onerror=alert(1)>", "<script>document.body.dataset.pwned=1</script>", "@ok",
                         "=HYPERLINK(\"http://evil\")", "\u202egnp.exe", "@x", "@y", "@z"]  # fmt: skip
    (root / "hostile").mkdir()
    hostile.to_csv(root / "hostile" / "creators.csv", index=False)
    # the two creators with markup in their handle are booked, so the roster table must show them as text
    (root / "hostile" / "scenario.yaml").write_text(yaml.safe_dump({"name": "<b>bold</b> campaign", "pool": "creators.csv",
                                                                     "budget": 2000, "eligibility": {
                                                                         "include": list(hostile["creator_id"][:2])}}))  # fmt: skip
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(uvicorn.Config(create_app(root), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield root, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _solved(page, before: int, timeout: float = 60.0) -> str:
    """Wait until the page finished one more solve than `before`; return the value it shows.

    Polled from here (the page's content security policy forbids the eval Playwright's waits use).
    """
    deadline = time.time() + timeout
    while time.time() < deadline:
        solves = int(page.get_attribute("body", "data-solves") or 0)
        if solves > before and page.get_attribute("body", "data-busy") == "0":
            return page.get_attribute("body", "data-value") or ""
        time.sleep(0.1)
    raise AssertionError("the page never finished the solve")


def _solves(page) -> int:
    return int(page.get_attribute("body", "data-solves") or 0)


@needs_browser
def test_the_page_re_solves_locks_excludes_compares_and_downloads(served, tmp_path: Path, runner) -> None:
    from playwright.sync_api import sync_playwright

    root, url = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{url}/?scenario={ECO}")
        first = _solved(page, 0)
        # the value shown equals `roster optimize` on the same scenario
        assert runner.invoke(main, ["optimize", str(root / ECO), "--out", str(tmp_path / "cli")]).exit_code == 0
        cli = json.loads((tmp_path / "cli" / "result.json").read_text())
        assert float(first) == pytest.approx(cli["objective_value"], rel=1e-9)
        # every forecast figure has its simulated range under it
        assert page.get_attribute("body", "data-ranges") == "yes"
        spreads = page.locator("#kpis .range").all_inner_texts()
        assert len(spreads) >= 3 and all(t.startswith("P10-P90 ") for t in spreads), spreads
        page.fill("#whatif-name", "as planned")
        page.click("#whatif-save")
        # change the budget
        n = _solves(page)
        page.fill("#f-budget", "12000")
        page.dispatch_event("#f-budget", "change")
        bigger = _solved(page, n)
        assert float(bigger) > float(first)
        # lock one chosen creator and exclude another: each click re-solves
        roster = page.get_attribute("body", "data-roster").split()
        locked, excluded = roster[2], roster[3]
        n = _solves(page)
        page.click(f"#roster tr[data-creator='{locked}'] button[data-action=lock]")
        after_lock = _solved(page, n)
        assert f"locked: {locked}" in page.locator("#held").inner_text()
        n = _solves(page)
        page.click(f"#roster tr[data-creator='{excluded}'] button[data-action=exclude]")
        after_exclude = _solved(page, n)
        final_roster = page.get_attribute("body", "data-roster").split()
        assert locked in final_roster and excluded not in final_roster
        assert float(after_exclude) <= float(after_lock) + 1e-9
        # a creator declines: the replacement keeps the others and says who joins
        declined = next(c for c in final_roster if c not in (locked, "c-0051"))
        n = _solves(page)
        page.click(f"#roster tr[data-creator='{declined}'] button[data-action=declined]")
        after_decline = _solved(page, n)
        assert declined not in page.get_attribute("body", "data-roster").split()
        assert f"Replacement after {declined} declined" in page.locator("#change").inner_text()
        assert f"excluded: {declined}" in page.locator("#held").inner_text()
        # two next-best rosters below the optimum (a plain re-solve of the scenario after the decline, which
        # may beat the replacement: that one changed as few creators as possible first)
        n = _solves(page)
        page.fill("#alternatives", "2")
        page.dispatch_event("#alternatives", "change")
        after_exclude = _solved(page, n)
        assert float(after_exclude) >= float(after_decline) - 1e-9
        assert page.locator("#next-best tbody tr").count() == 2
        final_roster = page.get_attribute("body", "data-roster").split()
        page.fill("#whatif-name", "bigger budget, edited")
        page.click("#whatif-save")
        rows = page.locator("#whatifs tbody tr")
        assert rows.count() == 2
        diff = rows.nth(1).locator("td").nth(6).inner_text()
        assert excluded in diff or "+" in diff
        # the YAML download reads back through the CLI to the roster on the page
        with page.expect_download() as info:
            page.click("#download-yaml")
        saved = tmp_path / "from-page.yaml"
        info.value.save_as(saved)
        result = runner.invoke(main, ["optimize", str(saved), "--out", str(tmp_path / "round")])
        assert result.exit_code == 0, result.output
        doc = json.loads((tmp_path / "round" / "result.json").read_text())
        assert doc["objective_value"] == pytest.approx(float(after_exclude), rel=1e-9)
        assert [e["creator_id"] for e in doc["roster"]] == sorted(final_roster)
        shot = REPO / "docs" / "app-screenshot.png"
        if os.environ.get("UPDATE_SCREENSHOT"):
            page.screenshot(path=str(shot))
        # a hostile pool renders as text
        page.goto(f"{url}/?scenario=hostile/scenario.yaml")
        _solved(page, 0)
        assert page.get_attribute("body", "data-pwned") is None
        assert page.locator("#roster img").count() == 0 and page.locator("#roster script").count() == 0
        assert "<img src=x onerror=alert(1)>" in page.locator("#roster").inner_text()
        assert "<script>document.body.dataset.pwned=1</script>" in page.locator("#roster").inner_text()
        assert "<b>bold</b> campaign" in page.locator("#status").inner_text()
        browser.close()
    assert errors == [], errors
    assert all(r.startswith(url) or r.startswith("blob:") for r in requests), "the page fetched from elsewhere"
