"""Batch benchmark: 200 client workbooks of 500 lots each, filled as a batch (``run_batch``,
one worker process per CPU) and one after another in a loop, in the same run. The
speed-up is the loop's wall time over the batch's, printed against the number of CPUs.
Target (issue #11): close to the core count; "ok" here means at least 80% of it.

The batch is also run as a user runs it, ``tlh-xl fill --dir FOLDER --out-dir OUT`` in a
fresh interpreter: start-up, discovery, the pool's workers loading modules and rules and
the table included. The load average before and after is shown: on a shared machine the
other processes' load takes cores from the batch, and the speed-up with them.

Every client is a copy of one synthetic 500-lot workbook (bench/fill.py's make_workbook,
lots from bench/run.py's synthetic): a fill does the same work whichever lots it reads,
and 200 copies take a moment where 200 builds would take a minute.

    python bench/batch.py            # 200 clients
    python bench/batch.py --quick    # 40 clients
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tlh_xl.workbook.batch import plan_clients, run_batch
from tlh_xl.workbook.fill import fill_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fill import make_workbook

LOTS = 500
CLOSE = 0.8  # "close to the core count": at least this share of it


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU counts this process and the children it
    waited for (the batch's workers, the command's interpreter)."""
    before, wall = os.times(), time.perf_counter()
    run()
    after, wall = os.times(), time.perf_counter() - wall
    cpu = sum(after[:4]) - sum(before[:4])  # user, system; children's user, system
    return wall, cpu


def main() -> None:
    count = 40 if "--quick" in sys.argv else 200
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clients_dir = folder / "clients"
        clients_dir.mkdir()
        book = folder / "book.xlsx"
        make_workbook(LOTS, book)
        sources = [clients_dir / f"client-{i:03d}.xlsx" for i in range(count)]
        for source in sources:
            shutil.copyfile(book, source)
        fill_workbook(book, folder / "warm-harvest.xlsx", progress=False)  # untimed

        loop_dir, batch_dir, cli_dir = (folder / n for n in ("loop", "batch", "cli"))
        for d in (loop_dir, batch_dir):
            d.mkdir()
        loop_clients = plan_clients(sources, loop_dir)
        batch_clients = plan_clients(sources, batch_dir)

        def loop() -> None:
            for c in loop_clients:
                fill_workbook(c.source, c.output, progress=False)

        def batch() -> None:
            results = run_batch(batch_clients, jobs=cores)
            failed = [r for r in results if not r.ok]
            assert not failed, failed[0].error

        def command() -> None:
            subprocess.run(
                [sys.executable, "-m", "tlh_xl", "fill", "--dir", str(clients_dir)]
                + ["--out-dir", str(cli_dir), "--jobs", str(cores)],
                check=True,
                stdout=subprocess.DEVNULL,
            )

        load = os.getloadavg()
        loop_wall, loop_cpu = timed(loop)
        batch_wall, batch_cpu = timed(batch)
        cli_wall, cli_cpu = timed(command)
        after = os.getloadavg()
        for d in (loop_dir, batch_dir, cli_dir):
            assert len(list(d.iterdir())) == count, d

    speedup, cli_speedup = loop_wall / batch_wall, loop_wall / cli_wall
    got = batch_cpu / batch_wall  # the cores the batch had, on average
    verdict = "ok" if speedup >= CLOSE * cores else "MISSED"
    if verdict == "MISSED" and got < CLOSE * cores:
        verdict += f" (the batch had {got:.2f} of {cores} cores: the machine is busy)"
    print(
        f"batch fill: {count} client workbooks of {LOTS} lots ({cores} CPUs; "
        f"load average (1 min) {load[0]:.2f} -> {after[0]:.2f})"
    )
    print("                                       wall      cpu  cores used  a client  speed-up")
    for label, wall, cpu in (
        ("one after another (a loop)", loop_wall, loop_cpu),
        (f"batch, {cores} workers (run_batch)", batch_wall, batch_cpu),
        ("tlh-xl fill --dir (a new process)", cli_wall, cli_cpu),
    ):
        print(
            f"  {label:<34} {wall:7.2f}s {cpu:7.2f}s  {cpu / wall:10.2f}  {wall / count:7.3f}s"
            f"  {loop_wall / wall:7.2f}x"
        )
    print(
        f"  the batch's own cost: {batch_cpu / loop_cpu - 1:+.1%} CPU time over the loop "
        "(processes, results sent back)"
    )
    print(
        f"  speed-up {speedup:.2f}x on {cores} cores ({speedup / cores:.0%} of the core count; "
        f"the command {cli_speedup:.2f}x); target: at least {CLOSE * cores:.1f}x  {verdict}"
    )


if __name__ == "__main__":
    main()
