"""Per depot, site, region and part results: sums equal fleet totals, a hand case, the CSV files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml
from builders import depot, network
from test_trace import hand_case

from sim.build import build
from sim.checkpoint import Checkpoint, _line, plan_of
from sim.cli import main
from sim.engine.model import Replication
from sim.engine.records import LATERAL
from sim.engine.tally import YARDSTICKS_H
from sim.ledger import CUSTOMERS, PriceList, place_costs, price, site_customer_costs
from sim.output import place_files
from sim.runner import run_scenarios


def busy_network(trace: bool = False):
    """Two nearby depots short of stock (laterals, emergencies), a far site, a demand stream."""
    return network(
        [depot("HZ-depot", 30.27, 120.16, jaw=1, drive=0), depot("SH-depot", 31.23, 121.47, jaw=1, drive=1)],
        central={"lat": 30.0, "lon": 120.0, "base_stock": {"jaw": 6, "drive": 3},
                 "factory_lead_time_h": {"dist": "deterministic", "value": 300}},
        horizon_h=3000.0, warmup_h=200.0, trace=trace,
        demand_streams=[{"name": "shop", "depot": "SH-depot", "part": "jaw", "rate_per_h": 0.01}],
    )


@pytest.mark.parametrize("replication", [0, 1])
def test_places_add_up_to_the_fleet_totals(replication: int) -> None:
    net = build(busy_network())
    o = Replication(net, 7, replication, check_invariants=True).run()
    sources = [sum(col) for col in zip(*o.depot_demands_by_source)]
    assert sources == list(o.demands_by_source)
    assert [sum(col) for col in zip(*o.part_demands_by_source)] == list(o.demands_by_source)
    assert all(o.source_count(s) > 0 for s in ("stock", "lateral", "emergency", "backorder"))
    assert sum(o.depot_lateral_sent) == o.demands_by_source[LATERAL]
    assert sum(o.site_failures) == o.failures
    assert sum(o.site_restored) == o.restored
    assert sum(o.site_restore_sum_h) == pytest.approx(o.restore_sum_h, rel=1e-12)
    assert sum(o.site_promise_known) == o.promise_known and sum(o.site_promise_ok) == o.promise_ok
    assert sum(o.site_within_8h) == o.yardstick_ok[YARDSTICKS_H.index(8.0)]
    assert sum(o.depot_stock_on_hand_unit_h) == pytest.approx(sum(o.depot_on_hand_unit_h), rel=1e-9)
    assert sum(o.depot_stock_backorder_unit_h) == pytest.approx(sum(o.depot_backorder_unit_h), rel=1e-9)
    assert sum(o.depot_stock_backorder_unit_h) > 0
    assert sum(o.depot_technician_busy_h) == pytest.approx(o.technician_busy_h, rel=1e-12)
    assert sum(o.depot_technician_rostered_h) == pytest.approx(o.technician_rostered_h, rel=1e-12)
    prices = PriceList.of(net)
    ledger = price(o, prices)
    downtime, depots = place_costs(o, prices)
    assert sum(downtime) == pytest.approx(ledger.amount("downtime"), rel=1e-12)
    assert sum(o.depot_normal_km) == pytest.approx(o.normal_shipment_km, rel=1e-12)
    assert sum(o.depot_lateral_km) == pytest.approx(o.lateral_shipment_km, rel=1e-12) and o.lateral_shipment_km > 0
    flows = ("depots", "technicians", "freight_normal", "freight_lateral")
    assert sum(depots) == pytest.approx(ledger.amount(*flows), rel=1e-12) and ledger.amount("freight_lateral") > 0
    assert sum(site_customer_costs(o, prices)) == pytest.approx(-ledger.net(CUSTOMERS), rel=1e-9)


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_hand_case_tables_are_what_a_hand_calculation_gives() -> None:
    (result,) = run_scenarios([hand_case(trace=False)], 2)
    files = place_files([("hand", result)])
    d1, d2 = rows_of(files["depots.csv"])
    assert (d1["depot"], d2["depot"]) == ("D1", "D2")
    # four outages at S, all D1's: stock, lateral from D2, emergency, backorder (docs in test_trace.hand_case)
    assert float(d1["failures"]) == 4 and float(d1["part_demands"]) == 4 and float(d1["fill_rate"]) == 0.25
    assert float(d1["lateral_received"]) == 1 and float(d1["emergency_shipments"]) == 1 and float(d1["backorders"]) == 1
    assert float(d2["lateral_sent"]) == 1 and float(d2["part_demands"]) == 0 and d2["fill_rate"] == "nan"
    assert float(d1["fill_rate_hw"]) == 0.0  # the same in both replications
    # D1's shelf: 1 unit until t=100, then empty (replenishments take 1000 h); window 500 h
    assert float(d1["on_hand_mean"]) == pytest.approx(100 / 500, rel=1e-12)
    # D1's backorder waits from t=412 to the horizon
    assert float(d1["backorders_mean"]) == pytest.approx(88 / 500, rel=1e-12)
    (s,) = rows_of(files["sites.csv"])
    assert (s["site"], s["region"], s["depot"], s["promise_h"]) == ("S", "R", "D1", "4.0")
    assert float(s["failures"]) == 4 and float(s["restored"]) == 3
    assert float(s["restore_time_mean_h"]) == pytest.approx((2 + 3 + 7) / 3, rel=1e-12)
    # promise 4 h: 2 h and 3 h kept, 7 h missed, the open one (88 h by the end) missed
    assert float(s["within_promise_share"]) == 0.5 and float(s["within_8h_share"]) == 1.0
    assert float(s["downtime_h"]) == pytest.approx(2 + 3 + 7 + 88, rel=1e-12)
    assert float(s["availability"]) == pytest.approx(1 - 100 / 500, rel=1e-12)
    assert float(s["late_h"]) == pytest.approx(3 + 84, rel=1e-12)
    assert float(s["downtime_cost"]) == pytest.approx(100 * 10, rel=1e-12)
    (r,) = rows_of(files["regions.csv"])
    assert (r["region"], r["sites"], r["machines"]) == ("R", "1", "1") and float(r["within_promise_share"]) == 0.5
    (p,) = rows_of(files["parts.csv"])
    assert float(p["part_demands"]) == 4 and float(p["lateral_share"]) == 0.25 and float(p["backorder_share"]) == 0.25
    a = rows_of(files["assignment.csv"])
    assert [(x["site"], x["depot"], float(x["part_time_h"]), float(x["technician_time_h"])) for x in a] == [("S", "D1", 0.0, 0.0)]


def test_csv_files_name_every_item_and_pair_each_measure_with_its_half_width() -> None:
    (result,) = run_scenarios([busy_network()], 3)
    files = place_files([("busy", result)])
    for name, key, items in [
        ("depots.csv", "depot", ["HZ-depot", "SH-depot"]),
        ("sites.csv", "site", ["Hangzhou", "Shanghai", "Chengdu"]),
        ("regions.csv", "region", ["East", "West"]),
        ("parts.csv", "part", ["jaw", "drive"]),
    ]:
        header = files[name].splitlines()[0].split(",")
        assert header[:2] == ["scenario", key]
        measures = [c for c in header if c.endswith("_hw")]
        assert measures and all(c[: -len("_hw")] in header for c in measures)
        assert [row[key] for row in rows_of(files[name])] == items
    sites = rows_of(files["sites.csv"])
    assert sum(float(s["failures"]) for s in sites) == pytest.approx(result.column("failures").mean(), rel=1e-12)
    assert sum(float(s["downtime_cost"]) for s in sites) == pytest.approx(
        result.column("customer_downtime_cost").mean(), rel=1e-9)
    depots = rows_of(files["depots.csv"])
    assert sum(float(d["part_demands"]) for d in depots) == pytest.approx(result.column("part_demands").mean(), rel=1e-12)


def test_resumed_from_a_checkpoint_the_files_are_the_same(tmp_path: Path) -> None:
    sc = busy_network(trace=True)  # the outage rows go through the checkpoint too
    (full,) = run_scenarios([sc], 3)
    cp = Checkpoint(tmp_path, plan_of([sc]), "run")
    kept = {}
    for r in (0, 2):  # two replications kept as text, as an interrupted run leaves them
        parsed = cp._parse(_line(0, r, (full.rows[r], {}, full.places[r])))
        assert parsed is not None
        kept[parsed[0]] = parsed[1]
    (resumed,) = run_scenarios([sc], 3, finished=kept)
    files = place_files([("x", full)])
    assert "trace.csv" in files and place_files([("x", resumed)]) == files


def test_outputs_are_byte_identical_serial_and_parallel(tmp_path: Path) -> None:
    path = tmp_path / "busy.yaml"
    path.write_text(yaml.safe_dump(busy_network(trace=True).model_dump(mode="json", by_alias=True)), encoding="utf-8")
    assert main(["run", str(path), "-n", "4", "--out", str(tmp_path / "serial")]) == 0
    assert main(["run", str(path), "-n", "4", "--jobs", "2", "--out", str(tmp_path / "parallel")]) == 0
    for name in ("depots.csv", "sites.csv", "regions.csv", "parts.csv", "assignment.csv", "trace.csv", "map.png"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "parallel" / name).read_bytes(), name


def test_the_map_sizes_depots_by_load_and_colours_sites_by_service() -> None:
    from matplotlib import colormaps

    from sim.maps import CMAP, map_png, place_map

    (result,) = run_scenarios([hand_case(trace=False)], 2)
    fig = place_map(result)
    ax = fig.axes[0]
    site, depots = [c for c in ax.collections if len(c.get_offsets())][:2]
    # one site with a 4 h promise kept by half its outages; D1 served all 4 failures, D2 none
    assert tuple(site.get_facecolors()[0]) == pytest.approx(colormaps[CMAP](0.5))
    assert list(depots.get_sizes()) == [500.0, 40.0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "site with a promise: within its promise" in texts and not any("without a promise" in t for t in texts)
    assert map_png(result)[:8] == b"\x89PNG\r\n\x1a\n" and map_png(result) == map_png(result)
