"""Write ``scenarios/market.yaml``: the case study's base market (catalogue, regions, sites).

Deterministic: the site list comes from the city table below and a ``random.Random``
seeded with :data:`SEED` (only ``random()`` is used, whose sequence Python keeps stable),
so running it again gives a byte-identical file::

    .venv/bin/python scenarios/tools/make_market.py            # writes scenarios/market.yaml
    .venv/bin/python scenarios/tools/make_market.py --check    # exit 1 if the file is stale

Every number written carries a YAML comment with its reason. The only figures taken from
the source material are the 2-4 h / 48 h response times, the doubled price and the 8 h
Zhejiang promise (they appear in the variants); everything here is an assumption, made to
be plausible for Chinese food producers, for planners to replace with their own data.
City coordinates are the real city (or district) centres, rounded to 0.01 degree.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

SEED = 20240917
"""Seed of the site attributes (jitter, segment, fleet, costs)."""

OUT = Path(__file__).resolve().parent.parent / "market.yaml"

JITTER_KM = 18.0
"""Sites lie within this radius of their city centre (industrial parks around the city)."""


@dataclass(frozen=True)
class Segment:
    """A kind of food producer: what an hour of a stopped packaging machine costs it."""

    name: str
    label: str
    weight: float  # share of customer sites, before regional tilts
    downtime_low: float  # CNY per machine-hour down, drawn log-uniform in [low, high]
    downtime_high: float
    threshold_low_h: float | None  # perishable work in progress: outage length it survives
    threshold_high_h: float | None
    loss_low: float  # one-off loss when an outage passes the threshold (per outage)
    loss_high: float
    reason: str


SEGMENTS: tuple[Segment, ...] = (
    Segment("bakery", "biscuit/bread plant", 0.22, 1200, 3500, 3, 6, 6000, 18000,
            "fermented biscuit dough and proofed bread cannot wait for packaging (source, case 1)"),
    Segment("ice_cream", "ice-cream plant", 0.08, 1500, 4500, 2, 4, 10000, 30000,
            "made ice cream melts within hours if it cannot be packed and hardened (source, case 1)"),
    Segment("frozen", "quick-frozen food plant", 0.15, 1000, 3000, 4, 8, 5000, 15000,
            "dumplings and rice balls must be packed before the freezer tunnel backs up"),
    Segment("meat", "meat-products plant", 0.10, 1500, 4000, 6, 10, 8000, 25000,
            "cooked sausage and chilled meat must be packed within a shift for food safety"),
    Segment("snacks", "snack/candy plant", 0.25, 600, 2000, None, None, 0, 0,
            "dry snacks and candy keep: a stop costs output and labour, nothing spoils"),
    Segment("dry_goods", "noodle/condiment/tea plant", 0.20, 500, 1500, None, None, 0, 0,
            "noodles, hotpot base and tea are shelf-stable: only lost output counts"),
)

# Regional tilts of the segment mix (multipliers of the weights), with reasons.
TILTS: dict[str, dict[str, float]] = {
    "Fujian": {"snacks": 2.0},  # Jinjiang/Xiamen snack and candy cluster
    "Guangdong": {"snacks": 1.5, "bakery": 1.3},  # Chaoshan snacks, Pearl River Delta bakeries
    "Henan": {"frozen": 2.5, "meat": 2.0},  # Zhengzhou quick-frozen food, Luohe meat
    "Sichuan": {"dry_goods": 2.0},  # hotpot base and condiments
    "Shandong": {"meat": 1.5, "frozen": 1.3},  # meat and seafood processing
    "Shanghai": {"ice_cream": 2.0, "bakery": 1.3},  # dairy and bakery plants near the big market
    "Tianjin": {"bakery": 1.5},
}

# (region, city, latitude, longitude, sites) — real city / district centres; the number of
# sites per city is an assumption: the source names Dongguan, Fujian and Chengdu as
# customer-heavy, and Shandong, Henan, Guangdong lead China's food-processing output.
CITIES: tuple[tuple[str, str, float, float, int], ...] = (
    ("Guangdong", "Dongguan", 23.02, 113.75, 14),
    ("Guangdong", "Guangzhou", 23.13, 113.26, 10),
    ("Guangdong", "Foshan", 23.02, 113.12, 7),
    ("Guangdong", "Shenzhen", 22.54, 114.06, 4),
    ("Guangdong", "Zhongshan", 22.52, 113.39, 4),
    ("Guangdong", "Jiangmen", 22.58, 113.08, 3),
    ("Guangdong", "Huizhou", 23.11, 114.42, 3),
    ("Guangdong", "Shantou", 23.35, 116.68, 4),
    ("Guangdong", "Chaozhou", 23.66, 116.62, 3),
    ("Guangdong", "Jieyang", 23.55, 116.37, 3),
    ("Fujian", "Jinjiang", 24.78, 118.55, 8),
    ("Fujian", "Quanzhou", 24.87, 118.68, 6),
    ("Fujian", "Xiamen", 24.48, 118.09, 6),
    ("Fujian", "Zhangzhou", 24.51, 117.65, 5),
    ("Fujian", "Fuzhou", 26.07, 119.30, 6),
    ("Fujian", "Putian", 25.45, 119.01, 2),
    ("Fujian", "Longyan", 25.08, 117.02, 2),
    ("Sichuan", "Chengdu", 30.57, 104.07, 16),
    ("Sichuan", "Mianyang", 31.47, 104.68, 3),
    ("Sichuan", "Deyang", 31.13, 104.40, 3),
    ("Sichuan", "Meishan", 30.08, 103.85, 3),
    ("Sichuan", "Leshan", 29.55, 103.77, 2),
    ("Sichuan", "Ziyang", 30.12, 104.63, 1),
    ("Sichuan", "Suining", 30.53, 105.59, 2),
    ("Zhejiang", "Hangzhou", 30.27, 120.16, 6),
    ("Zhejiang", "Ningbo", 29.87, 121.55, 4),
    ("Zhejiang", "Wenzhou", 28.00, 120.70, 4),
    ("Zhejiang", "Jiaxing", 30.75, 120.76, 3),
    ("Zhejiang", "Shaoxing", 30.00, 120.58, 2),
    ("Zhejiang", "Jinhua", 29.08, 119.65, 2),
    ("Zhejiang", "Taizhou", 28.66, 121.42, 2),
    ("Zhejiang", "Huzhou", 30.89, 120.09, 2),
    ("Shanghai", "Jiading", 31.38, 121.25, 3),
    ("Shanghai", "Songjiang", 31.03, 121.23, 3),
    ("Shanghai", "Pudong", 31.22, 121.54, 3),
    ("Shanghai", "Minhang", 31.11, 121.38, 2),
    ("Shanghai", "Fengxian", 30.92, 121.47, 2),
    ("Shanghai", "Jinshan", 30.74, 121.34, 2),
    ("Jiangsu", "Suzhou", 31.30, 120.59, 5),
    ("Jiangsu", "Wuxi", 31.49, 120.31, 3),
    ("Jiangsu", "Changzhou", 31.81, 119.97, 2),
    ("Jiangsu", "Nanjing", 32.06, 118.80, 4),
    ("Jiangsu", "Nantong", 32.00, 120.89, 2),
    ("Jiangsu", "Yangzhou", 32.39, 119.41, 2),
    ("Jiangsu", "Huaian", 33.61, 119.02, 2),
    ("Tianjin", "Tianjin", 39.13, 117.20, 3),
    ("Tianjin", "Binhai", 39.02, 117.71, 3),
    ("Tianjin", "Wuqing", 39.38, 117.04, 2),
    ("Tianjin", "Xiqing", 39.14, 117.01, 2),
    ("Hebei", "Shijiazhuang", 38.04, 114.51, 4),
    ("Hebei", "Baoding", 38.87, 115.46, 2),
    ("Hebei", "Langfang", 39.54, 116.68, 2),
    ("Hebei", "Tangshan", 39.63, 118.18, 2),
    ("Hebei", "Xingtai", 37.07, 114.50, 1),
    ("Hebei", "Hengshui", 37.74, 115.67, 1),
    ("Shandong", "Jinan", 36.65, 117.12, 4),
    ("Shandong", "Qingdao", 36.07, 120.38, 5),
    ("Shandong", "Yantai", 37.46, 121.45, 3),
    ("Shandong", "Weifang", 36.71, 119.16, 4),
    ("Shandong", "Linyi", 35.10, 118.36, 5),
    ("Shandong", "Zibo", 36.81, 118.05, 2),
    ("Shandong", "Dezhou", 37.43, 116.36, 2),
    ("Shandong", "Liaocheng", 36.46, 115.99, 2),
    ("Shandong", "Taian", 36.20, 117.09, 1),
    ("Shandong", "Rizhao", 35.42, 119.53, 2),
    ("Henan", "Zhengzhou", 34.75, 113.63, 10),
    ("Henan", "Luohe", 33.58, 114.02, 4),
    ("Henan", "Xinxiang", 35.30, 113.93, 3),
    ("Henan", "Kaifeng", 34.80, 114.31, 2),
    ("Henan", "Xuchang", 34.04, 113.85, 2),
    ("Henan", "Luoyang", 34.62, 112.45, 2),
    ("Henan", "Zhoukou", 33.63, 114.70, 2),
    ("Hubei", "Wuhan", 30.59, 114.31, 7),
    ("Hubei", "Xiaogan", 30.92, 113.92, 2),
    ("Hubei", "Huanggang", 30.45, 114.87, 1),
    ("Hubei", "Xianning", 29.84, 114.32, 1),
    ("Hubei", "Ezhou", 30.39, 114.89, 1),
    ("Hunan", "Changsha", 28.23, 112.94, 5),
    ("Hunan", "Zhuzhou", 27.83, 113.13, 2),
    ("Hunan", "Xiangtan", 27.83, 112.94, 2),
    ("Hunan", "Yueyang", 29.36, 113.13, 1),
)

# Machines per site: (count, weight) — assumption: most food plants run 1-3 packaging
# machines of one grade, big plants up to 6.
FLEET: tuple[tuple[int, float], ...] = ((1, 0.20), (2, 0.30), (3, 0.22), (4, 0.14), (5, 0.08), (6, 0.06))

# ------------------------------------------------------------------------------------------
# The fixed part of the file: run settings, catalogue, regions, factory, travel, freight.
# ------------------------------------------------------------------------------------------

HEAD = """\
# BASE MARKET of the case study "dense premium versus sparse cheap" (docs: scenarios/README.md).
# GENERATED by scenarios/tools/make_market.py — edit that script (or copy this file) and re-run;
# the script is deterministic and rewrites this file byte for byte.
#
# This file is a BASE ONLY (base: true): it has no depots, so it cannot run on its own;
# `sim validate` checks the fields it holds. Run the variants that extend it:
#   dense_premium.yaml, sparse_cheap.yaml, imported_premium.yaml, regional_8h.yaml
#
# Numbers taken from the source material (cases 1-2 of scenarios/README.md) live in the variants:
# parts within 2-4 h (dense), about 48 h (rivals), price up to twice the rival's, and an
# 8 h on-site promise in Zhejiang. EVERY number below is an ASSUMPTION with its reason:
# replace it with your own data. City coordinates are real city/district centres.
#
# Time is hours; money is CNY. Machine ages run on calendar hours (the model has no shift
# calendar), and downtime cost is a cost per calendar hour down, averaged over the week.
base: true                 # a base for the variants, not a scenario to run (not inherited)
name: market
description: >-
  Food-packaging machines at @N_SITES@ food producers (@N_MACHINES@ machines) in @N_REGIONS@
  provinces of China; base market for the dense-versus-sparse service case study.
currency: CNY
seed: 20240917             # any fixed number: same seed, same results
replications: 30           # enough for confidence intervals of a few percent on total cost
horizon_h: 9480            # assumption: one-year window (8760 h) after the warm-up
warmup_h: 720              # assumption: one month for depot stock and pipelines to settle

parts:
  # Unit cost = the maker's cost; price = what the customer pays per unit used.
  - name: sealing_jaw
    unit_cost: 2600        # assumption: heated sealing jaw with cutter, machined steel
    price: 4500            # assumption: ~70% mark-up, usual for OEM wear parts
    holding_rate_per_year: 0.25   # assumption: capital 8% + storage 5% + obsolescence 12%
  - name: servo_drive
    unit_cost: 7500        # assumption: servo amplifier and motor (domestic brand)
    price: 12000           # assumption: ~60% mark-up on electronics
    holding_rate_per_year: 0.25   # assumption: as above
  - name: plc_hmi
    unit_cost: 5200        # assumption: controller with touch panel
    price: 8800            # assumption: ~70% mark-up
    holding_rate_per_year: 0.25   # assumption: as above
  - name: film_pull_belt
    unit_cost: 900         # assumption: vacuum film-pull belts with bearings, one set
    price: 1700            # assumption: ~90% mark-up on small wear parts
    holding_rate_per_year: 0.25   # assumption: as above
  - name: sensor_kit
    unit_cost: 500         # assumption: photo-eye, thermocouple and heater cartridge
    price: 1000            # assumption: ~100% mark-up on small electrical parts
    holding_rate_per_year: 0.25   # assumption: as above

machine_models:
  # One grade of machine. The rival's machine of the same grade fails the same way (source:
  # "a rival's machine of the same grade"), so every variant uses this model; they differ in
  # price (pricing.machine_price_multiplier) and in the service network.
  # Failures are exponential: a fleet of mixed ages, each machine made of many parts, fails
  # at a roughly constant rate (Drenick's theorem), and no warm-up of machine ages is needed.
  # Only failures that need the maker (a spare part and/or its technician) are modelled:
  # small stops the customer's own staff fix are not. About 1.15 such calls per machine-year.
  - name: vffs_mid
    price: 300000          # assumption: the RIVAL's price of a mid-range automatic packaging machine (form-fill-seal with servo drives)
    cost_to_make: 215000   # assumption: ~28% gross margin at the rival's price, usual for domestic machinery
    life_years: 8          # assumption: typical depreciation life of packaging machinery
    components:
      - name: jaw
        part: sealing_jaw
        time_to_failure_h: {dist: exponential, mean: 20000}   # assumption: ~0.44 jaw failures per machine-year
        repair_time_h: {dist: lognormal, mean: 1.5, cv: 0.5}  # assumption: swap jaw and re-tune temperature
      - name: drive
        part: servo_drive
        time_to_failure_h: {dist: exponential, mean: 70000}   # assumption: random electronic failure, ~0.13 per year
        repair_time_h: {dist: lognormal, mean: 2.0, cv: 0.5}  # assumption: swap and set up the axis
      - name: control
        part: plc_hmi
        time_to_failure_h: {dist: exponential, mean: 120000}  # assumption: ~0.07 per year
        repair_time_h: {dist: lognormal, mean: 2.5, cv: 0.6}  # assumption: swap, load program, test
      - name: film_pull
        part: film_pull_belt
        time_to_failure_h: {dist: exponential, mean: 60000}   # assumption: belts worn beyond the customer's own repair, ~0.15 per year
        repair_time_h: {dist: lognormal, mean: 1.0, cv: 0.4}  # assumption: belt change and alignment
      - name: sensor
        part: sensor_kit
        time_to_failure_h: {dist: exponential, mean: 60000}   # assumption: ~0.15 per year
        repair_time_h: {dist: lognormal, mean: 0.8, cv: 0.5}  # assumption: swap and calibrate
      - name: fault
        part: null         # needs the maker's technician only
        time_to_failure_h: {dist: exponential, mean: 40000}   # assumption: faults beyond the customer's skill, ~0.22 per year
        repair_time_h: {dist: lognormal, mean: 2.0, cv: 0.7}  # assumption: diagnosis and adjustment

regions:
  # promise_h here is a YARDSTICK, not a contract: the share of failures restored within
  # 8 h (the source's Zhejiang figure) is reported for every variant; no penalty is paid
  # (late_penalty_per_h 0). regional_8h.yaml replaces these with contractual promises.
@REGIONS@
central:
  name: factory
  lat: 27.78               # assumption: the maker's factory at Ruian, Wenzhou (Zhejiang's packaging-machinery cluster)
  lon: 120.63             # (Ruian city centre)
  transport_lead_time_h: {dist: gamma, mean: 72, cv: 0.3}   # assumption: 2-4 days by road freight to a depot

dispatch:
  lateral: {enabled: true, max_time_h: 6}    # assumption: a neighbouring depot's van can bring a part within 6 h
  emergency:
    enabled: true
    lead_time_h: {dist: gamma, mean: 24, cv: 0.3}   # assumption: next-day express from the factory
    cost_per_shipment: 400                         # assumption: express courier premium
  technician_dispatch: with_part    # assumption: the technician sets off so as to arrive with the part (no idle wait on site)

travel:
  road_factor: 1.3         # assumption: typical road / great-circle ratio in eastern China
  speed_kmh: 60            # assumption: mixed expressway and urban driving
  handling_h: 1.0          # assumption: call taken, fault diagnosed by phone, part picked and loaded
  technician_mobilisation_h: 0.5    # assumption: a local technician sets off within half an hour

freight:
  normal_cost_per_km: 1.0          # assumption: service van running cost (fuel, tolls, wear)
  lateral_cost_per_km: 1.5         # assumption: a dedicated run from another depot
  emergency_cost_per_km: 0.3       # assumption: distance part of an express parcel
  replenishment_cost_per_unit: 60  # assumption: consolidated road freight per unit
  technician_cost_per_km: 0.8      # assumption: car or train fare and allowances per km travelled

service_plans: []          # assumption: no paid service contracts in the base market

sites:
  # One line per food producer. lat/lon = the city centre (real) plus a deterministic jitter of
  # up to @JITTER@ km (plants sit in industrial parks around the city). Fleet, downtime cost,
  # perishable threshold and loss are ASSUMPTIONS drawn from the site's segment:
@SEGMENT_NOTES@
  # Downtime cost = lost contribution margin + idle labour + overtime to catch up, per hour one
  # packaging machine is down, averaged over calendar hours (assumption).
"""


def _regions_text(regions: list[str]) -> str:
    lines = []
    for r in regions:
        lines.append(f"  - {{name: {r}, promise_h: 8, late_penalty_per_h: 0}}   # yardstick (see above); no penalty (assumption)")
    return "\n".join(lines) + "\n"


def _segment_notes() -> str:
    lines = []
    for s in SEGMENTS:
        if s.threshold_low_h is None:
            perish = "nothing perishes"
        else:
            perish = (
                f"WIP lost after {s.threshold_low_h:g}-{s.threshold_high_h:g} h down, "
                f"{s.loss_low:,.0f}-{s.loss_high:,.0f} per outage"
            )
        lines.append(
            f"  #   {s.name:9s} {s.label:27s} share {s.weight:.0%}: downtime {s.downtime_low:,.0f}-{s.downtime_high:,.0f}/h; "
            f"{perish}"
        )
        lines.append(f"  #             ({s.reason})")
    lines.append("  #   regional tilts of the segment mix: " + "; ".join(
        f"{r} " + ", ".join(f"{k} x{v:g}" for k, v in t.items()) for r, t in TILTS.items()
    ))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------
# Sites
# ------------------------------------------------------------------------------------------


def _pick(rng: random.Random, items: list[tuple[object, float]]) -> object:
    """One item by weight (uses one ``random()`` draw)."""
    total = sum(w for _, w in items)
    u = rng.random() * total
    for item, w in items:
        u -= w
        if u < 0:
            return item
    return items[-1][0]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(math.log(low) + rng.random() * (math.log(high) - math.log(low)))


def _round_to(x: float, step: float) -> float:
    return step * round(x / step)


def _jitter(rng: random.Random, lat: float, lon: float) -> tuple[float, float]:
    """A point uniform in a disc of radius JITTER_KM around (lat, lon)."""
    r = JITTER_KM * math.sqrt(rng.random())
    a = 2 * math.pi * rng.random()
    dlat = r * math.cos(a) / 111.2
    dlon = r * math.sin(a) / (111.2 * math.cos(math.radians(lat)))
    return round(lat + dlat, 3), round(lon + dlon, 3)


def _sites(rng: random.Random) -> tuple[list[str], int]:
    lines: list[str] = []
    n_machines = 0
    region = None
    for reg, city, lat, lon, count in CITIES:
        if reg != region:
            lines.append(f"  # --- {reg} ---")
            region = reg
        tilt = TILTS.get(reg, {})
        for k in range(1, count + 1):
            name = f"{city}-{k:02d}"
            slat, slon = _jitter(rng, lat, lon)
            seg = _pick(rng, [(s, s.weight * tilt.get(s.name, 1.0)) for s in SEGMENTS])
            assert isinstance(seg, Segment)
            machines = _pick(rng, list(FLEET))
            n_machines += int(machines)  # type: ignore[arg-type]
            cost = _round_to(_log_uniform(rng, seg.downtime_low, seg.downtime_high), 50)
            fields = [
                f"name: {name}",
                f"lat: {slat:.3f}",
                f"lon: {slon:.3f}",
                f"region: {reg}",
                f"machines: {{vffs_mid: {machines}}}",
                f"downtime_cost_per_h: {cost:.0f}",
            ]
            if seg.threshold_low_h is not None:
                assert seg.threshold_high_h is not None
                thr = _round_to(seg.threshold_low_h + rng.random() * (seg.threshold_high_h - seg.threshold_low_h), 0.5)
                loss = _round_to(_log_uniform(rng, seg.loss_low, seg.loss_high), 500)
                fields.append(f"perishable: {{threshold_h: {thr:g}, loss: {loss:.0f}}}")
            lines.append("  - {" + ", ".join(fields) + f"}}   # {seg.label} near {city}: numbers drawn from the segment's assumed ranges")
    return lines, n_machines


def render() -> str:
    """The full text of market.yaml."""
    rng = random.Random(SEED)
    regions: list[str] = []
    for reg, *_ in CITIES:
        if reg not in regions:
            regions.append(reg)
    site_lines, n_machines = _sites(rng)
    n_sites = sum(c[4] for c in CITIES)
    fill = {
        "@N_SITES@": str(n_sites),
        "@N_MACHINES@": str(n_machines),
        "@N_REGIONS@": str(len(regions)),
        "@REGIONS@": _regions_text(regions),
        "@JITTER@": f"{JITTER_KM:.0f}",
        "@SEGMENT_NOTES@": _segment_notes(),
    }
    head = HEAD
    for key, value in fill.items():
        head = head.replace(key, value)
    return head + "\n".join(site_lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=OUT, help="where to write (default scenarios/market.yaml)")
    p.add_argument("--check", action="store_true", help="do not write; exit 1 if the file differs")
    args = p.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else None
        if current != text:
            print(f"{args.out} is not what make_market.py writes; re-run it", file=sys.stderr)
            return 1
        return 0
    tmp = args.out.with_suffix(args.out.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
