"""``trace: true`` writes trace.csv: one row per outage, checked by hand and against the KPIs."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest
from builders import depot, network

from sim.build import build
from sim.cli import main
from sim.engine.model import Replication
from sim.engine.tally import YARDSTICKS_H
from sim.engine.trace import COLUMNS, outage_rows
from sim.output import place_files
from sim.runner import run_scenarios
from sim.scenario.schema import Scenario


def hand_case(trace: bool = True, horizon_h: float = 500.0) -> Scenario:
    """One machine failing every 100 operating hours, 2 h repairs, zero handling and mobilisation.

    Its depot D1 sits at the site with one unit; D2 is 1 h away with one unit; central holds 3
    units (replenishments and emergencies take them), all leads 1000 h. Outages: t=100 from
    D1's stock; t=202 lateral from D2; t=305 emergency (5 h) from central; t=412 backordered
    (nothing anywhere), still open at the horizon, 500 h.
    """
    def dep(name: str, lon: float) -> dict:
        return {
            "name": name, "lat": 30, "lon": 120 + lon, "technicians": 1, "base_stock": {"p": 1},
            "replenishment_lead_time_h": {"dist": "deterministic", "value": 1000},
        }

    return Scenario.model_validate(
        {
            "name": "hand",
            "seed": 3,
            "replications": 2,
            "horizon_h": horizon_h,
            "warmup_h": 0,
            "trace": trace,
            "parts": [{"name": "p", "unit_cost": 10, "price": 20}],
            "machine_models": [
                {
                    "name": "M",
                    "price": 100,
                    "cost_to_make": 50,
                    "components": [
                        {
                            "name": "c",
                            "part": "p",
                            "time_to_failure_h": {"dist": "deterministic", "value": 100},
                            "repair_time_h": {"dist": "deterministic", "value": 2},
                        }
                    ],
                }
            ],
            "regions": [{"name": "R", "promise_h": 4}],
            "sites": [{"name": "S", "lat": 30, "lon": 120, "region": "R", "machines": {"M": 1}, "downtime_cost_per_h": 10}],
            "depots": [dep("D1", 0.0), dep("D2", 0.5)],
            "central": {
                "lat": 30, "lon": 121, "base_stock": {"p": 3},
                "factory_lead_time_h": {"dist": "deterministic", "value": 1000},
                "transport_lead_time_h": {"dist": "deterministic", "value": 1000},
            },
            "travel": {
                "handling_h": 0, "technician_mobilisation_h": 0,
                "table": [{"from": "D2", "to": "S", "time_h": 1.0, "distance_km": 60}],
            },
            "dispatch": {
                "technician_dispatch": "on_failure",
                "emergency": {"lead_time_h": {"dist": "deterministic", "value": 5}},
            },
        }
    )


NAN = math.nan
HAND_LOG = [
    # machine, component, site, depot, part, failure, dispatch, source, from, part arrival, technician, restore
    ("S/M#0", "c", "S", "D1", "p", 100.0, 100.0, "stock", "D1", 100.0, 100.0, 102.0),
    ("S/M#0", "c", "S", "D1", "p", 202.0, 202.0, "lateral", "D2", 203.0, 202.0, 205.0),
    ("S/M#0", "c", "S", "D1", "p", 305.0, 305.0, "emergency", "central", 310.0, 305.0, 312.0),
    ("S/M#0", "c", "S", "D1", "p", 412.0, NAN, "backorder", "", NAN, 412.0, NAN),
]


def same(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(
        (isinstance(x, float) and isinstance(y, float) and (x == y or (math.isnan(x) and math.isnan(y))))
        or x == y
        for x, y in zip(a, b)
    )


def test_the_hand_case_log_is_what_a_hand_calculation_gives() -> None:
    rep = Replication(build(hand_case()), 3, 0)
    rep.run()
    rows = outage_rows(rep)
    assert len(rows[0]) == len(COLUMNS)
    for got, want in zip(rows, HAND_LOG):
        assert same(tuple(got), want), (got, want)
    assert len(rows) == len(HAND_LOG)


def test_trace_csv_is_written_with_documented_columns(tmp_path: Path) -> None:
    path = tmp_path / "hand.yaml"
    import yaml

    path.write_text(yaml.safe_dump(hand_case().model_dump(mode="json", by_alias=True)), encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 0
    rows = list(csv.DictReader((tmp_path / "out" / "trace.csv").open(encoding="utf-8")))
    assert list(rows[0]) == ["scenario", "replication", "outage", *COLUMNS]
    assert len(rows) == 2 * len(HAND_LOG)  # two replications, the same deterministic log
    first = rows[: len(HAND_LOG)]
    assert [r["source"] for r in first] == ["stock", "lateral", "emergency", "backorder"]
    assert [r["outage"] for r in first] == ["1", "2", "3", "4"]
    assert first[3]["restore_h"] == "" and first[3]["dispatch_h"] == ""  # open at the end: nothing happened yet
    assert float(first[1]["part_arrival_h"]) == 203.0
    docs = (Path(__file__).resolve().parent.parent / "docs" / "outputs.md").read_text(encoding="utf-8")
    for column in ["replication", "outage", *COLUMNS]:
        assert f"`{column}`" in docs, column


def test_untraced_runs_write_no_trace() -> None:
    (result,) = run_scenarios([hand_case(trace=False)], 1)
    assert "trace.csv" not in place_files([("hand", result)])


def test_kpis_recomputed_from_the_log_equal_the_runs() -> None:
    sc = network(
        [depot("Hangzhou", 30.27, 120.16, jaw=1, drive=0), depot("Shanghai", 31.23, 121.47, jaw=1, drive=1)],
        dispatch={"emergency": {"enabled": False}}, horizon_h=3000.0, warmup_h=200.0, trace=True,
    )
    (result,) = run_scenarios([sc], 3)
    promise = {"Hangzhou": 8.0, "Shanghai": 8.0, "Chengdu": 24.0}
    text = place_files([("net", result)])["trace.csv"]
    rows = list(csv.DictReader(io.StringIO(text)))
    for r, kpis in enumerate(result.rows):
        log = [row for row in rows if row["replication"] == str(r)]
        assert len(log) == kpis["failures"]
        done = [float(x["restore_h"]) - float(x["failure_h"]) for x in log if x["restore_h"]]
        assert len(done) == kpis["outages_restored"]
        assert sum(done) / len(done) == pytest.approx(kpis["restore_time_mean_h"], rel=1e-12)
        within8 = sum(d <= 8.0 for d in done) / (len(done) + sum(
            1 for x in log if not x["restore_h"] and 3000.0 - float(x["failure_h"]) > 8.0))
        assert within8 == pytest.approx(kpis[f"restored_within_{YARDSTICKS_H[1]:g}h_share"], rel=1e-12)
        known = ok = 0
        for x in log:
            p = promise[x["site"]]
            if x["restore_h"]:
                known += 1
                ok += float(x["restore_h"]) - float(x["failure_h"]) <= p
            elif 3000.0 - float(x["failure_h"]) > p:
                known += 1
        assert ok / known == pytest.approx(kpis["within_promise_share"], rel=1e-12)
        with_part = [x for x in log if x["part"]]
        for source, kpi in [("stock", "fill_rate"), ("lateral", "lateral_share"), ("emergency", "emergency_share"),
                            ("backorder", "backorder_share")]:
            share = sum(x["source"] == source for x in with_part) / len(with_part)
            assert share == pytest.approx(kpis[kpi], rel=1e-12), source
    assert any(x["source"] == "lateral" for x in rows) and any(x["source"] == "backorder" for x in rows)
    jams = [x for x in rows if x["component"] == "jam"]  # a failure that needs only a technician
    assert jams and all(x["part"] == "" and x["source"] == "no_part" and x["dispatch_h"] == "" for x in jams)
    assert all(x["part_arrival_h"] == x["failure_h"] for x in jams if x["restore_h"])  # nothing to wait for
