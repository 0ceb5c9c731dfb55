"""The ledger's benchmark (issue 16): `python bench/ledger.py`. Prints; nothing here is a
pass/fail test.

* 1,000,000 generated transactions (buys, sales, transfers with a fee in the coin,
  income) across 5 wallets and 50 assets, 2019 to mid-2026: FIFO, universal until the
  2025 allocation, per wallet after. Time (wall and CPU) and peak memory, in a process
  of its own so the peak is this run's; the input's own size is printed apart.
  Target: under 10 s and under 2 GB.
* The same kind of ledger with 10,000 transactions through RP2 (in-process, universal
  FIFO, as tests/test_ledger_rp2.py drives it) and through this ledger with the same
  settings: the ratio of their CPU times. Target: at least 20 times faster.
* `--csv` also writes the 1M ledger as tlh-xl's own CSV and times reading it back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tlh_xl.ledger import TRANSACTION_COLUMNS, LedgerSettings, build_ledger  # noqa: E402
from tlh_xl.ledger.own_format import read_transactions_csv  # noqa: E402
from tlh_xl.ledger.synthetic import SyntheticSpec, synthetic_ledger  # noqa: E402

UTC = dt.timezone.utc
BIG = SyntheticSpec(
    transactions=1_000_000,
    wallets=5,
    assets=50,
    seed=1,
    end=dt.datetime(2026, 6, 30, tzinfo=UTC),
)
SMALL = SyntheticSpec(transactions=10_000, wallets=5, assets=50, seed=2)


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


def _mb(maxrss: int) -> float:
    return maxrss * (1 if sys.platform == "darwin" else 1024) / 2**20  # bytes on macOS


def one_million(csv: bool) -> None:
    """Run in a process of its own, so that its peak memory is this ledger's alone."""
    rows = synthetic_ledger(BIG)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall, cpu, ledger = best(lambda: build_ledger(rows), 1)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out: dict[str, Any] = {
        "wall": wall,
        "cpu": cpu,
        "disposals": len(ledger.disposal_rows),
        "lots": len(ledger.lots),
        "allocations": len(ledger.allocations),
        "input_mb": _mb(before),
        "peak_mb": _mb(after),
    }
    if csv:
        del ledger
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "transactions.csv"
            write_csv(rows, path)
            del rows
            out["csv_mb"] = path.stat().st_size / 2**20
            out["csv_wall"], out["csv_cpu"], _ = best(lambda: len(read_transactions_csv(path)), 1)
    print(json.dumps(out))


def write_csv(rows: list[Any], path: Path) -> None:
    def text(value: object) -> str:
        return "" if value is None else str(value)

    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(TRANSACTION_COLUMNS) + "\n")
        for t in rows:
            cells = (
                t.tx_id,
                t.time.isoformat(),
                t.type,
                t.wallet,
                t.to_wallet,
                t.sent_asset,
                text(t.sent_quantity),
                t.received_asset,
                text(t.received_quantity),
                t.fee_asset,
                text(t.fee_quantity),
                text(t.value_usd),
                text(t.fee_usd),
                "",
                "",
            )
            handle.write(",".join(cells) + "\n")


def against_rp2() -> None:
    try:
        from tests.test_ledger_rp2 import load_rp2, run_rp2
    except ImportError as exc:  # rp2 is a test-only dependency
        print(f"  RP2 ratio: skipped ({exc})")
        return
    rows = synthetic_ledger(SMALL)
    with tempfile.TemporaryDirectory() as tmp:
        rp2 = load_rp2(Path(tmp))
        r_wall, r_cpu, _ = best(lambda: run_rp2(rp2, rows, {1970: "fifo"}), 1)
    settings = LedgerSettings(universal=True)
    o_wall, o_cpu, _ = best(lambda: build_ledger(rows, settings), 5)
    label = f"RP2, {len(rows):,} transactions, universal FIFO"
    print(f"  {label:38}  {r_wall:7.3f} s wall  {r_cpu:7.3f} s CPU")
    print(
        f"  {'tlh-xl, the same ledger and settings':38}  {o_wall:7.3f} s wall  {o_cpu:7.3f} s CPU"
    )
    print(f"  tlh-xl is ×{r_cpu / o_cpu:.0f} faster than RP2 (target at least ×20)")


def main() -> None:
    csv = "--csv" in sys.argv[1:]
    print(f"ledger (load average {os.getloadavg()[0]:.2f})")
    out = subprocess.run(
        [sys.executable, __file__, "--one-million", *(["--csv"] if csv else [])],
        capture_output=True,
        text=True,
        check=True,
    )
    m = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"  1,000,000 transactions, 5 wallets, 50 assets  {m['wall']:7.3f} s wall  "
        f"{m['cpu']:7.3f} s CPU (target under 10 s)"
    )
    print(
        f"  {m['disposals']:,} disposals, {m['lots']:,} open lots, "
        f"{m['allocations']:,} lots allocated at the start of 2025"
    )
    print(
        f"  peak memory {m['peak_mb']:,.0f} MB (target under 2 GB), of which the input "
        f"(1M Transaction records) {m['input_mb']:,.0f} MB"
    )
    if csv:
        print(
            f"  reading it back from CSV ({m['csv_mb']:,.0f} MB)  {m['csv_wall']:7.3f} s wall  "
            f"{m['csv_cpu']:7.3f} s CPU"
        )
    against_rp2()
    print(f"  (load average {os.getloadavg()[0]:.2f} at the end)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one-million"]:
        one_million("--csv" in sys.argv[2:])
    else:
        main()
