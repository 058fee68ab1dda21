"""The command line is data (geoplan/data/commands.toml): every entry works."""

from __future__ import annotations

import re
import tomllib
from importlib import resources

import pytest

from geoplan.cli import main

REGISTRY = tomllib.loads(
    resources.files("geoplan").joinpath("data", "commands.toml").read_text()
)
COMMANDS = [k for k in REGISTRY if k not in ("options", "geoplan")]
PARENTS = {k.rpartition(" ")[0] for k in COMMANDS} - {""}


@pytest.mark.parametrize("key", COMMANDS)
def test_every_command_has_help_and_a_handler(key, capsys):
    with pytest.raises(SystemExit) as done:
        main([*key.split(), "--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    spec = REGISTRY[key]
    assert spec.get("description", spec["help"]).split()[0] in shown
    for option in spec.get("options", []):
        flags = option.get("flags") or REGISTRY["options"].get(option.get("use"), {})
        flags = flags if isinstance(flags, list) else flags.get("flags", [])
        hidden = option.get("hidden") or REGISTRY["options"].get(
            option.get("use"), {}
        ).get("hidden")
        for flag in flags:
            listed = re.search(rf"{re.escape(flag)}(?![\w-])", shown) is not None
            assert listed != bool(hidden), (key, flag)
    if key not in PARENTS:
        assert callable(_leaf(key).get_default("handler")), key


def _leaf(key):
    from geoplan.cli import _build_parser

    parser = _build_parser()
    for word in key.split():
        (sub,) = [
            a for a in parser._actions if hasattr(a, "choices") and a.nargs == "A..."
        ]
        parser = sub.choices[word]
    return parser


def test_shared_options_are_used_and_help_texts_are_filled(capsys):
    used = {
        o["use"] for k in COMMANDS for o in REGISTRY[k].get("options", []) if "use" in o
    }
    assert used == set(REGISTRY["options"])
    with pytest.raises(SystemExit):
        main(["coverage", "--help"])
    shown = capsys.readouterr().out
    assert "gb50180-15min" in shown
    assert "{presets}" not in shown
    with pytest.raises(SystemExit):
        main(["plan", "check", "--help"])
    shown = capsys.readouterr().out
    assert "shangluo" in shown
    assert "{plans}" not in shown


@pytest.mark.parametrize(
    ("argv", "keys"),
    [
        ([], {"geoplan"}),
        (["--lang", "en", "geocode", "map"], {"geoplan", "geocode"}),
        (
            ["plan", "check", "xianan", "--facilities", "plan"],
            {"geoplan", "plan", "plan check"},
        ),
        (["gazetteer", "import", "run"], {"geoplan", "gazetteer", "gazetteer import"}),
        (["geocod", "x.csv"], {"geoplan"}),  # not a command: argparse says so
    ],
)
def test_a_command_line_names_its_command_and_action(argv, keys):
    from geoplan.cli._args import keys_named

    assert keys_named(argv) == keys


HEAVY = ("folium", "scipy.spatial", "osmnx", "networkx", "distributed", "highspy")


@pytest.mark.parametrize(
    "argv", [["--help"], ["geocode", "--help"], ["export", "--help"]]
)
def test_a_light_command_does_not_load_the_network_map_and_siting_stacks(argv):
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from geoplan.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]", out
