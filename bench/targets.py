"""The plan's speed targets (issue #14), each a ratio measured in this same run.

The machine's speed drifts with its load, so each target compares two things timed
side by side, and the load average is printed with them:

* a plan of 100k lots ÷ ``sorted()`` of 100k tuples of the lots' keys: at most 6×;
* a plan of 1M lots ÷ the 100k plan: at most 11×, and under 1 GB peak memory for the
  plan (its own process; the input's size is printed apart);
* ``plan.sales`` as a DataFrame (65k sales) ÷ the plan's own time: at most 0.15×;
* a plan of 100k lots with a state's tax ÷ the federal-only plan: at most 1.3× (issue
  #15), for California (the most steps: its exemption credits' phase-out) and Minnesota
  (a deduction that shrinks with AGI).

Wall and CPU time are both shown; the ratios use CPU time, which other processes on
the machine disturb less.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import synthetic

from tlh_xl import load_rules
from tlh_xl.harvest import Profile, plan_harvest

PROFILE = Profile(
    tax_year=2025,
    filing_status="married_joint",
    ordinary_income=400_000,
    realized_short_term=80_000,
    realized_long_term=250_000,
    as_of_date=dt.date(2025, 12, 1),
    fee_rate="0.005",
)


def best(task: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """(wall, CPU) seconds of the fastest of ``runs`` runs by CPU, and its result."""
    found: tuple[float, float, Any] = (float("inf"), float("inf"), None)
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        result = task()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        if cpu < found[1]:
            found = (wall, cpu, result)
        del result
    return found


def keys_of(lots: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(x["asset"], x["acquired"], x["quantity"], x["cost_basis"], x["lot_id"]) for x in lots]


def one_million() -> None:
    """Run in a process of its own, so that its peak memory is the plan's alone."""
    lots, prices = synthetic(1_000_000)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rules = load_rules(2025)
    wall, cpu, sales = best(lambda: len(plan_harvest(rules, PROFILE, lots, prices).sale_table), 1)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "sales": sales,
                "input_mb": before * scale / 2**20,
                "peak_mb": after * scale / 2**20,
            }
        )
    )


def main() -> None:
    print(f"plan targets (load average {os.getloadavg()[0]:.2f})")
    lots, prices = synthetic(100_000)
    keys = keys_of(lots)
    s_wall, s_cpu, _ = best(lambda: sorted(keys), 5)
    rules = load_rules(2025)
    p_wall, p_cpu, plan = best(lambda: plan_harvest(rules, PROFILE, lots, prices), 3)
    print(f"  sorted() of 100k lot keys   {s_wall:7.3f} s wall  {s_cpu:7.3f} s CPU")
    print(f"  plan of 100k lots           {p_wall:7.3f} s wall  {p_cpu:7.3f} s CPU")
    print(f"  plan ÷ sorted: ×{p_cpu / s_cpu:.1f} (target at most ×6)")

    for code in ("CA", "MN"):
        with_state = replace(PROFILE, state=code)
        t_wall, t_cpu, _ = best(partial(plan_harvest, rules, with_state, lots, prices), 3)
        print(f"  plan of 100k lots with {code}     {t_wall:7.3f} s wall  {t_cpu:7.3f} s CPU")
        print(f"  with {code} ÷ federal only: ×{t_cpu / p_cpu:.2f} (target at most ×1.3)")

    f_wall, f_cpu, rows = best(lambda: len(plan.sales), 3)
    print(f"  plan.sales DataFrame, {rows:,} sales  {f_wall:7.3f} s wall  {f_cpu:7.3f} s CPU")
    print(f"  DataFrame ÷ plan: ×{f_cpu / p_cpu:.3f} (target at most ×0.15)")

    out = subprocess.run(
        [sys.executable, __file__, "--one-million"], capture_output=True, text=True, check=True
    )
    m = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"  plan of 1M lots             {m['wall']:7.3f} s wall  {m['cpu']:7.3f} s CPU"
        f"  ({m['sales']:,} sales)"
    )
    print(f"  1M plan ÷ 100k plan: ×{m['cpu'] / p_cpu:.1f} (target at most ×11)")
    print(
        f"  1M plan's peak memory {m['peak_mb']:,.0f} MB, of which its input (1M lots as "
        f"dicts of Decimals) {m['input_mb']:,.0f} MB: the plan adds "
        f"{m['peak_mb'] - m['input_mb']:,.0f} MB (target: under 1 GB)"
    )
    print(f"  (load average {os.getloadavg()[0]:.2f} at the end)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--one-million"]:
        one_million()
    else:
        main()
