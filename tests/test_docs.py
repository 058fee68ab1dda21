"""Every Python example in docs/ runs and prints what the text says it prints."""

from __future__ import annotations

import contextlib
import io
import re
import shlex

import pytest
from conftest import REPO

BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def examples():
    for page in sorted((REPO / "docs").glob("*.md")):
        for n, code in enumerate(BLOCK.findall(page.read_text(encoding="utf-8"))):
            yield pytest.param(code, id=f"{page.stem}-{n}")


def expected_lines(code):
    """What each print's comment promises: the text before any ``(``."""
    return [m.group(1).strip() for m in re.finditer(r"print\(.*\)\s*#\s*(.+)", code)]


@pytest.mark.parametrize("code", list(examples()))
def test_doc_example_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<docs>", "exec"), {})
    printed = out.getvalue()
    for promise in expected_lines(code):
        value = promise.split(" (")[0].strip()
        assert value in printed, (promise, printed)


SHELL = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def commands():
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for page in pages:
        for block in SHELL.findall(page.read_text(encoding="utf-8")):
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(line.split("  #")[0])
                if words and words[0].endswith("geoplan"):
                    yield pytest.param(words[1:], id=f"{page.stem}:{' '.join(words)}")


@pytest.mark.parametrize("argv", list(commands()))
def test_doc_commands_parse(argv, capsys):
    from geoplan.cli import _build_parser

    try:
        _build_parser().parse_args(argv)
    except SystemExit:  # argparse's way to report a bad option
        pytest.fail(f"geoplan {' '.join(argv)}: {capsys.readouterr().err}")


def _printed_by(script):
    """What a script under scripts/ prints when run without options."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / script)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_the_architecture_graph_is_current():
    printed = _printed_by("import_graph.py")
    page = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert printed in page, "rerun scripts/import_graph.py into docs/architecture.md"


def test_the_plans_page_is_current():
    printed = _printed_by("plan_table.py")
    page = (REPO / "docs" / "plans.md").read_text(encoding="utf-8")
    assert printed.strip() == page.strip(), "rerun scripts/plan_table.py --write"
    # the counts are the library's: X02 and X11 of Xian'an are among them
    assert "| xianan (421202) | 8 | 1 | 5 |" in page


def test_computability_says_why_per_indicator():
    from geoplan.places.gazetteer import Gazetteer
    from geoplan.planning import plans

    table = plans.computability(Gazetteer.builtin(), plans.load("xianan"))
    rows = table.set_index("indicator")
    assert rows.at["X02", "from_a_list"]
    assert rows.at["X02", "units"] == 13
    assert rows.at["X11", "units"] == 3  # 温泉, 浮山 and 永安 are streets
    assert rows.at["X12", "from_a_list"]  # 社区: the statistics bureau's committees
    assert rows.at["X12", "units"] == 190
    assert "township_central_village" in rows.at["X14", "reason"]
