"""Many clients at once: ``tlh-xl fill FILE...`` and ``tlh-xl fill --dir FOLDER``.

Each client's workbook is filled by ``fill.fill_workbook`` in a worker process of a
``concurrent.futures.ProcessPoolExecutor`` (one per core by default), so a batch takes
about the time of one fill per core. A client's bad input is that client's result (its
one-line error), never the batch's end; an unexpected exception in a worker is reported
the same way, with its type. A worker that dies (killed, out of memory) breaks the pool
for every client still running or waiting; those are filled again, each alone in a fresh
worker, so only the one that kills its worker is reported as such.

Interrupted (Ctrl-C, SIGTERM), the batch cancels the clients not started and ends its
workers with SIGTERM: a worker saving an output removes its temporary file as it ends
(``writer.write_atomic``), so every output on disk is complete and none is partial.
``BatchInterrupted`` then carries the clients finished so far.

Nothing here prints: the command line (``cli/workbook_cmd.py``) shows the progress, the
table and the errors. The batch summary's columns are declared once here, for its CSV
and its workbook (``SUMMARY_COLUMNS``).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import traceback
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import TlhError, WorkbookError
from ..money import CENT
from .fill import WORKBOOK_SUFFIXES, default_output, fill_workbook
from .sigterm import sigterm_raises

__all__ = [
    "SUMMARY_COLUMNS",
    "BatchInterrupted",
    "Client",
    "ClientResult",
    "FillOptions",
    "discover",
    "fill_client",
    "is_skipped",
    "plan_clients",
    "run_batch",
    "summary_rows",
    "write_summary_xlsx",
]


@dataclass(frozen=True)
class FillOptions:
    """What applies to every client of a batch (``--as-of``, ``--year``, ``--rules-dir``)."""

    as_of: dt.date | None = None
    year: int | None = None
    rules_dir: str | None = None


@dataclass(frozen=True)
class Client:
    source: Path  # as the user gave it, or the folder joined with the file's name
    output: Path

    @property
    def name(self) -> str:
        return str(self.source)


@dataclass(frozen=True)
class ClientResult:
    """One client's outcome: the Summary's figures (Decimal, to the cent) when filled,
    the one-line error otherwise. Plain values only: it crosses from the worker."""

    client: Client
    error: str = ""  # empty when the workbook was filled
    tax_without_harvest: Decimal | None = None
    tax_with_harvest: Decimal | None = None
    tax_saved: Decimal | None = None
    trading_costs: Decimal | None = None
    net_benefit: Decimal | None = None
    deadline: dt.date | None = None
    days_to_deadline: int | None = None
    read: str = ""  # what was read, in words (``FillResult.read``)
    messages: tuple[str, ...] = ()  # the plan's notes, as the Summary sheet shows them
    projected: tuple[str, ...] = ()  # rule files used that hold projected figures
    debug: str = ""  # the traceback of an unexpected error (shown with TLH_DEBUG=1)

    @property
    def ok(self) -> bool:
        return not self.error


class BatchInterrupted(Exception):
    """Ctrl-C or SIGTERM stopped the batch; ``results`` are the clients finished."""

    def __init__(self, results: list[ClientResult], total: int, signum: int):
        super().__init__(f"interrupted after {len(results)} of {total} clients")
        self.results, self.total, self.signum = results, total, signum


# --- which files, and where their outputs go -------------------------------------------


def is_skipped(name: str) -> bool:
    """Files a folder's batch leaves alone: not a workbook; tlh-xl's own outputs
    (``*-harvest.xlsx``); hidden files, among them tlh-xl's temporary ``.~tlh-*`` files;
    Excel's lock files (``~$book.xlsx``, left while a workbook is open)."""
    path = Path(name)
    return (
        path.suffix.lower() not in WORKBOOK_SUFFIXES
        or path.stem.lower().endswith("-harvest")
        or name.startswith((".", "~$"))
    )


def discover(folder: Path, skip: Collection[Path] = ()) -> list[Path]:
    """The workbooks directly in ``folder`` (not in its subfolders), by name, leaving out
    what ``is_skipped`` says and the files ``skip`` names (the batch summary)."""
    folder = Path(folder)
    if not folder.exists():
        raise WorkbookError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise WorkbookError(f"{folder}: is a file, not a folder (--dir takes a folder)")
    left_out = {p.resolve() for p in skip}
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise WorkbookError(f"{folder}: cannot be read ({exc.strerror or exc})") from None
    return [
        p for p in entries if not is_skipped(p.name) and p.is_file() and p.resolve() not in left_out
    ]


def plan_clients(sources: Sequence[Path], out_dir: Path | None = None) -> list[Client]:
    """Each source with its output: the default name (``book-harvest.xlsx``) next to it,
    or in ``out_dir``. Refuses a workbook given twice, two clients that would write the
    same output, and an output that is another client's input."""
    clients = [
        Client(
            Path(s),
            (out_dir / default_output(Path(s)).name) if out_dir else default_output(Path(s)),
        )
        for s in sources
    ]
    inputs: dict[Path, Client] = {}
    for c in clients:
        key = c.source.resolve()
        if key in inputs:
            raise WorkbookError(f"{c.source}: given twice (also as {inputs[key].source})")
        inputs[key] = c
    outputs: dict[Path, Client] = {}
    for c in clients:
        key = c.output.resolve()
        if key in inputs:
            raise WorkbookError(
                f"{c.output}: is an input of this batch and would be the output of {c.source}"
            )
        if key in outputs:
            raise WorkbookError(
                f"{c.output}: would be written for both {outputs[key].source} and {c.source}; "
                "give the workbooks different names"
            )
        outputs[key] = c
    return clients


# --- one client, in a worker -------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split("\n")[0].split()) if text else ""


def fill_client(client: Client, options: FillOptions) -> ClientResult:
    """Fill one client's workbook; any error becomes the result, never an exception."""
    projected: list[str] = []

    def on_rules(rules: Any) -> None:
        if rules.status == "projected":
            where = str(rules.path or rules.describe())
            if where not in projected:
                projected.append(where)

    try:
        done = fill_workbook(
            client.source,
            client.output,
            as_of=options.as_of,
            year=options.year,
            rules_dir=options.rules_dir,
            progress=False,
            on_rules=on_rules,
        )
    except TlhError as exc:
        return ClientResult(client, error=_one_line(str(exc)) or type(exc).__name__)
    except Exception as exc:  # a bug: reported for this client, as `tlh-xl fill` reports it
        return ClientResult(
            client,
            error=f"unexpected error ({type(exc).__name__}: {_one_line(str(exc))}); "
            "rerun with TLH_DEBUG=1 and report it",
            debug=traceback.format_exc(),
        )
    s = done.plan.summary
    return ClientResult(
        client,
        tax_without_harvest=s.tax_without_harvest.quantize(CENT),
        tax_with_harvest=s.tax_with_harvest.quantize(CENT),
        tax_saved=s.tax_saved.quantize(CENT),
        trading_costs=s.trading_costs.quantize(CENT),
        net_benefit=s.net_benefit.quantize(CENT),
        deadline=s.deadline,
        days_to_deadline=s.days_to_deadline,
        read=done.read,
        messages=tuple(done.plan.messages),
        projected=tuple(projected),
    )


def _worker_init() -> None:
    """A worker leaves Ctrl-C to the batch (which ends it with SIGTERM, so that a terminal's
    Ctrl-C, sent to every process, prints no worker's traceback), and SIGTERM as the
    default, whatever handler the batch had when the worker was forked: ``write_atomic``
    then removes the temporary file of an output being saved before the worker ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


# --- the pool ----------------------------------------------------------------------------

Work = Callable[[Client, FillOptions], ClientResult]
OnDone = Callable[[int, int, ClientResult], None]


class _Stop(BaseException):
    """SIGTERM arrived while the batch ran."""


@contextmanager
def _signals_held() -> Iterator[None]:
    """No second Ctrl-C or SIGTERM cuts the clean-up short (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started; end the workers with SIGTERM (a worker saving a file
    removes its temporary file first) and wait for them."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(timeout=10)
        if p.is_alive():  # not ended by SIGTERM within 10 s
            p.kill()
            p.join()
    pool.shutdown(wait=True)


def run_batch(
    clients: Sequence[Client],
    options: FillOptions = FillOptions(),
    *,
    jobs: int | None = None,
    on_done: OnDone | None = None,
    work: Work = fill_client,
) -> list[ClientResult]:
    """Fill every client on ``jobs`` worker processes (default: one per CPU) and return
    their results in the clients' order. ``on_done(done, total, result)`` is called in
    this process as each client finishes. Raises ``BatchInterrupted`` on Ctrl-C or
    SIGTERM, once the workers have ended."""
    total = len(clients)
    results: dict[int, ClientResult] = {}
    if total == 0:
        return []
    workers = max(1, min(jobs or os.cpu_count() or 1, total))

    def finished(i: int, result: ClientResult) -> None:
        results[i] = result
        if on_done is not None:
            on_done(len(results), total, result)

    def run(indices: Sequence[int], size: int) -> list[int]:
        """Run these clients on a fresh pool of ``size``; return those the pool broke."""
        broken: list[int] = []
        pool = ProcessPoolExecutor(max_workers=size, initializer=_worker_init)
        try:
            futures: dict[Future[ClientResult], int] = {
                pool.submit(work, clients[i], options): i for i in indices
            }
            for future in as_completed(futures):
                i = futures[future]
                try:
                    finished(i, future.result())
                except BrokenProcessPool:
                    broken.append(i)
                except Exception as exc:  # the result could not be sent back
                    finished(i, _failed(clients[i], exc))
            pool.shutdown(wait=True)
        except BaseException:  # Ctrl-C, SIGTERM, or a failure here: no worker is left
            with _signals_held():
                _stop_pool(pool)
            raise
        return sorted(broken)

    with sigterm_raises(_Stop):
        try:
            suspects = run(range(total), workers)
            for i in suspects:  # each alone: only the one that ends its worker fails
                if run([i], 1):
                    finished(i, ClientResult(clients[i], error=_DIED))
        except (KeyboardInterrupt, _Stop) as exc:
            signum = signal.SIGTERM if isinstance(exc, _Stop) else signal.SIGINT
            raise BatchInterrupted(
                [results[i] for i in sorted(results)], total, int(signum)
            ) from None
    return [results[i] for i in range(total)]


_DIED = (
    "unexpected error (the worker process filling it ended abruptly: killed, or out of "
    "memory?); rerun it alone with TLH_DEBUG=1 and report it"
)


def _failed(client: Client, exc: BaseException) -> ClientResult:
    return ClientResult(
        client,
        error=f"unexpected error ({type(exc).__name__}: {_one_line(str(exc))}); "
        "rerun with TLH_DEBUG=1 and report it",
        debug="".join(traceback.format_exception(exc)),
    )


# --- the batch summary -------------------------------------------------------------------

# (header, kind, width): the CSV and the workbook both follow this.
SUMMARY_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("Client", "text", 28),
    ("Status", "text", 10),
    ("Tax Without Harvest", "money", 16),
    ("Tax With Harvest", "money", 16),
    ("Tax Saved", "money", 14),
    ("Trading Costs", "money", 14),
    ("Net Benefit", "money", 14),
    ("Deadline", "date", 12),
    ("Days To Deadline", "int", 10),
    ("Output", "text", 32),
    ("Error", "text", 60),
)
SUMMARY_HEADERS = tuple(header for header, _, _ in SUMMARY_COLUMNS)


def summary_rows(results: Sequence[ClientResult]) -> list[list[Any]]:
    """One row per client, in ``SUMMARY_COLUMNS`` order: money as Decimal to the cent,
    the deadline as a date, empty figures for a client that failed."""
    return [
        [
            r.client.name,
            "filled" if r.ok else "failed",
            r.tax_without_harvest,
            r.tax_with_harvest,
            r.tax_saved,
            r.trading_costs,
            r.net_benefit,
            r.deadline,
            r.days_to_deadline,
            str(r.client.output) if r.ok else None,
            r.error or None,
        ]
        for r in results
    ]


def write_summary_xlsx(path: Path, results: Sequence[ClientResult]) -> None:
    """The batch summary as a small workbook: one sheet, one Excel table (``Clients``),
    money in the currency format, dates as dates, text always text (a client file named
    ``=cmd.xlsx`` is not a formula); written through a temporary file and renamed."""
    from openpyxl import Workbook

    from .sheets import _put, _table, fitted_widths
    from .writer import write_atomic

    rows = summary_rows(results)
    kinds: list[Any] = [kind for _, kind, _ in SUMMARY_COLUMNS]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Clients"
    widths = fitted_widths(
        list(SUMMARY_HEADERS), kinds, [width for _, _, width in SUMMARY_COLUMNS], rows
    )
    _table(ws, "Clients", list(SUMMARY_HEADERS), len(rows), widths)
    for r, row in enumerate(rows, start=2):
        for col, (value, kind) in enumerate(zip(row, kinds), start=1):
            _put(ws.cell(row=r, column=col), value, kind)
    write_atomic(Path(path), wb.save)
