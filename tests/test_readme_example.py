"""The README's Python API example runs as written, and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_python_api_example_runs_and_prints_its_comments() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"## Python API\n\n```python\n(.*?)```", text, re.S)
    assert match, "the README has no Python API example"
    code = match.group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    printed = out.getvalue().splitlines()
    # Each `print(...)  # 123.45 ...` comment that starts with a figure is what it prints.
    promised = [
        comment.split(":")[0].strip()
        for comment in re.findall(r"^print\(.*?\)\s*# (\d.*)$", code, re.M)
    ]
    assert promised, "no printed figure is promised in the example"
    for figure, line in zip(promised, printed):
        assert line.startswith(figure), (figure, line)
    assert any(line.split()[:2] == ["0", "E1"] for line in printed)  # the sales table
