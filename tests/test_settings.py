"""One declaration per setting (xentlab.settings): every front end offers, checks and keeps what
the declarations say, and a setting added there reaches all of them with no other edit."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from xentlab import runs, settings
from xentlab.cli.commands import build_parser
from xentlab.errors import XentlabError
from xentlab.settings import SETTINGS

SOURCE = Path(__file__).parent.parent / "src" / "xentlab"


def _options(command: str) -> set[str]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if hasattr(a, "choices") and a.choices]
    return {o for action in sub.choices[command]._actions for o in action.option_strings}


@pytest.mark.parametrize("command", ["train", "sweep"])
def test_every_setting_a_command_offers_is_one_of_its_options(command):
    many = command == "sweep"
    expected = {s.many_option if many else s.option for s in settings.offered(command)}
    assert expected <= _options(command)


def test_compare_offers_its_settings_and_sets_cost_eta_and_seed_run_by_run():
    offered = {s.option for s in settings.offered("compare")} - {"--cost", "--seed"}
    assert offered | {"--costs", "--seeds"} <= _options("compare")


def test_the_estimators_parameters_are_the_settings_offered_to_them():
    from xentlab.sklearn import SigmoidNetworkClassifier

    params = SigmoidNetworkClassifier().get_params()
    for setting in settings.offered("estimator"):
        name = "hidden_layer_sizes" if setting.name == "hidden" else setting.name
        assert params[name] == setting.default
    assert "seed" not in params and params["random_state"] is None


def test_a_value_is_checked_once_by_the_constraint_its_setting_declares():
    with pytest.raises(XentlabError, match="eta must be a finite number > 0; got -1"):
        runs.RunSpec.of(eta=-1)
    with pytest.raises(XentlabError, match="unknown setting"):
        settings.split({"momentum": 0.9})
    network, config = settings.split({"hidden": 30, "kernel": "numpy"})
    assert network.hidden == (30,) and config.kernel == "numpy"


def test_a_spec_knows_which_settings_were_given():
    spec = runs.RunSpec.of(epochs=30, cost="quadratic")  # 30 is the default, but was given
    assert spec.given_settings == {"epochs": 30, "cost": "quadratic"}
    typed = runs.RunSpec(config=settings.TrainConfig(eta=3.0))  # given: what differs
    assert typed.given_settings == {"eta": 3.0}


def test_only_the_kernel_changes_no_result():
    assert [s.name for s in SETTINGS.values() if not s.declared.changes_result] == ["kernel"]


ADDED = """\
    momentum: float = setting(
        checks.Real(non_negative=True), 0.0, "momentum μ ≥ 0 (added by a test)"
    )
"""

EXERCISE = """
import json, sys
from pathlib import Path
from xentlab.cli.main import main
from xentlab.formats import load_checkpoint

work = Path(sys.argv[1])
checkpoint = work / "run.ckpt"
found = {}

# The command line: an option in train, compare and sweep, checked, saved and restored.
found["cli"] = main(
    ["train", "--epochs", "1", "--momentum", "0.25", "--checkpoint", str(checkpoint)]
)
from xentlab.cli.commands import build_parser
commands = [a for a in build_parser()._actions if getattr(a, "choices", None)][0].choices
found["options"] = [
    "--momentum" in {o for a in commands[name]._actions for o in a.option_strings}
    for name in ("train", "compare", "sweep")
]
found["saved"] = load_checkpoint(checkpoint)[0].config.momentum
found["refused"] = main(["train", "--epochs", "1", "--momentum", "-1"])
found["resume conflict"] = main(["train", "--resume", str(checkpoint), "--momentum", "0.5"])

# Compare and sweep.
from xentlab.experiments import CompareSpec
found["compare"] = CompareSpec.of(momentum=0.5).document()["momentum"]
from xentlab.sweeps import SweepSpec
points = SweepSpec.from_axes({"momentum": [0, 0.5], "epochs": 1}).points()
plain = SweepSpec.from_axes({"epochs": 1}).points()[0]
found["sweep ids"] = [points[0].id == plain.id, points[1].id != plain.id]
found["sweep legacy"] = [points[0].legacy_id is not None, points[1].legacy_id is None]
try:
    SweepSpec.from_axes({"momentum": [-1]})
except ValueError as exc:
    found["sweep refused"] = str(exc)

# The estimators: a parameter, validated at fit, kept by clone.
from sklearn.base import clone
from xentlab.sklearn import SigmoidNetworkClassifier
estimator = SigmoidNetworkClassifier(momentum=0.5)
found["estimator"] = [estimator.get_params()["momentum"], clone(estimator).momentum]
try:
    SigmoidNetworkClassifier(momentum=-1.0, epochs=1).fit([[0.0], [1.0]], [0, 1])
except ValueError as exc:
    found["estimator refused"] = str(exc)

# The page's race: a parameter, checked, and carried into the runs' settings.
from xentlab.web.limits import Limits
from xentlab.web.params import describe, read_values
from xentlab.web.race_view import parameters
from xentlab.web.races import RaceSettings
race = parameters(Limits())
found["race default"] = describe(race)["momentum"]["default"]
found["race"] = RaceSettings.of(read_values([("momentum", "0.5")], race)).config.momentum
try:
    read_values([("momentum", "-1")], race)
except ValueError as exc:
    found["race refused"] = str(exc)
print(json.dumps(found))
"""


def test_a_setting_added_to_the_declarations_is_offered_checked_and_kept_everywhere(tmp_path):
    """A copy of xentlab with one line-block added to TrainConfig, and no other edit: the new
    setting is an option of train, compare and sweep, a sweep axis, an estimator parameter and
    a race parameter; each refuses a bad value by the declared constraint; the checkpoint keeps
    it; the ids of existing sweep runs do not change."""
    copy = tmp_path / "src" / "xentlab"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / "settings.py"
    source = path.read_text(encoding="utf-8")
    anchor = '    kernel: str = setting(KERNELS, "auto", KERNEL_HELP, changes_result=False)\n'
    assert anchor in source
    path.write_text(source.replace(anchor, anchor + ADDED), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(EXERCISE), str(work)],
        capture_output=True,
        text=True,
        cwd=work,
        env={"PYTHONPATH": str(copy.parent), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["options"] == [True, True, True]
    assert found["cli"] == 0 and found["saved"] == 0.25
    assert found["refused"] == 2 and "--momentum must be a finite number >= 0" in done.stderr
    assert found["resume conflict"] == 2 and "momentum 0.5 (saved: 0.25)" in done.stderr
    assert found["compare"] == 0.5
    assert found["sweep ids"] == [True, True] and found["sweep legacy"] == [True, True]
    assert "momentum must be a finite number >= 0" in found["sweep refused"]
    assert found["estimator"] == [0.5, 0.5]
    assert "momentum" in found["estimator refused"]
    assert found["race default"] == 0.0 and found["race"] == 0.5
    assert "momentum must be a finite number >= 0" in found["race refused"]
