"""Start-up benchmark (`make bench`): how long a command takes before it does any work.

Measured in the same run, round-robin, so a change in the machine's load touches every
command alike: a bare `python -c pass`, `tlh-xl --help`, and `tlh-xl tax ...` with an
empty rules cache (parse YAML, validate, write the cache) and with a warm one. Each is
the best of N runs, wall time and CPU time (user + system of the child, from
getrusage(RUSAGE_CHILDREN) deltas). Target (issue 14): `tlh-xl tax` with a warm cache at
most 5x `python -c pass`. Nothing here is a pass/fail test.

The children run as an installed tlh-xl does: with compiled bytecode (pip compiles it on
install), kept in a temporary PYTHONPYCACHEPREFIX even where PYTHONDONTWRITEBYTECODE is
set, and a temporary rules cache (TLH_CACHE_DIR); your user rules folder and
TLH_RULES_DIR are left out. `--as-is` keeps the environment's own bytecode settings.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 5.0  # tlh-xl tax (warm cache) / python -c pass
TAX_ARGS = ["tax", "--year", "2025", "--status", "single", "--income", "90000"]


def tlh_xl_command() -> list[str]:
    """The console script next to this Python, as a user runs it; else ``-m tlh_xl``."""
    script = Path(sys.executable).with_name("tlh-xl")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "tlh_xl"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; a failing command stops the benchmark."""
    cpu = children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {done.stderr.decode(errors='replace')}")
    return wall, children_cpu() - cpu


def empty(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=20, help="runs of each (default 20)")
    parser.add_argument("--as-is", action="store_true", help="keep the bytecode settings")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tlh-startup-") as tmp:
        work = Path(tmp)
        cache = work / "cache"
        cache.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("TLH_RULES_DIR", "TLH_NO_CACHE")}
        env["TLH_CACHE_DIR"] = str(cache)
        env["XDG_CONFIG_HOME"] = env["APPDATA"] = str(work / "config")  # no user rules
        if not args.as_is:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")

        tlh = tlh_xl_command()
        commands: dict[str, list[str]] = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "tlh-xl --help": [*tlh, "--help"],
            "tlh-xl tax, cold cache": [*tlh, *TAX_ARGS],
            "tlh-xl tax, warm cache": [*tlh, *TAX_ARGS],
        }
        for command in commands.values():  # compile the bytecode, fill the OS file cache
            run_once(command, env)

        load_before = os.getloadavg()
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                if name.endswith("cold cache"):
                    empty(cache)
                wall, cpu = run_once(command, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
        load_after = os.getloadavg()

    bytecode = "as the environment has it" if args.as_is else "compiled (as installed)"
    print(f"Start-up, best of {args.runs} each, round-robin; bytecode {bytecode}")
    print(f"  {'command':<24}{'wall ms':>9}{'CPU ms':>9}{'x pass':>8}")
    base_wall, base_cpu = min(walls["python -c pass"]), min(cpus["python -c pass"])
    for name in commands:
        wall, cpu = min(walls[name]), min(cpus[name])
        print(f"  {name:<24}{wall * 1000:>9.1f}{cpu * 1000:>9.1f}{wall / base_wall:>8.2f}")
    warm_wall = min(walls["tlh-xl tax, warm cache"]) / base_wall
    warm_cpu = min(cpus["tlh-xl tax, warm cache"]) / base_cpu if base_cpu else float("nan")
    verdict = "meets" if warm_wall <= TARGET else "misses"
    print(
        f"tlh-xl tax (warm cache) / python -c pass: {warm_wall:.2f}x wall, {warm_cpu:.2f}x CPU "
        f"(target at most {TARGET:g}x wall: {verdict} it)"
    )
    print(
        "load average (1/5/15 min): before "
        + "/".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + "/".join(f"{x:.2f}" for x in load_after)
    )


if __name__ == "__main__":
    main()
