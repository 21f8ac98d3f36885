"""How each of xentlab's results is shown in a notebook (``report.notebook`` teaches IPython
to use these): a line saying what it is, a small HTML table of its key numbers, and its figures
where a figure is its natural view, drawn by ``xentlab.plots``. Every result class is named by
its module and name, and only imported for its types: nothing of xentlab is imported until an
object is shown; Matplotlib when a figure is first drawn.
"""

from __future__ import annotations

import html as markup
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..checks import plural

if TYPE_CHECKING:  # the types only: nothing of xentlab is imported until an object is shown
    from matplotlib.figure import Figure

    from ..experiments import CompareResult, SaturationMap, SlowdownRun
    from ..experiments.derivation import Derivation
    from ..neuron import Trajectory
    from ..runs import RunResult
    from ..sweeps.summary import SweepTable

# A trajectory of many starts shows this many of them in its table, and fewer as figures.
MAX_ROWS = 12
MAX_FIGURES = 4


def number(value: Any) -> str:
    """A number as a table shows it: 4 significant digits, an integer whole, None as "—"."""
    if value is None:
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An HTML table, every caption, header and cell escaped (a cost's name is the user's)."""
    e = markup.escape
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{e(number(cell))}</td>" for cell in row) + "</tr>" for row in rows
    )
    return (
        f'<table class="xentlab"><caption>{e(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _more(shown: int, total: int, what: str) -> str:
    return "" if shown == total else f"<p>… and {total - shown} more {markup.escape(what)}</p>"


# One neuron


def _trajectory_caption(t: Trajectory) -> str:
    starts = plural(t.w.shape[1], "start")
    return f"{t.cost_name}, η = {t.eta:g}, {plural(t.epochs, 'epoch')} from {starts}"


def _start(t: Trajectory, s: int) -> str:
    """Start ``s`` as (w, b), or (w₁, …, w_d, b) for a neuron of d inputs."""
    return "(" + ", ".join(f"{v:g}" for v in (*t.w[0, s], t.b[0, s])) + ")"


def _trajectory_html(t: Trajectory) -> str:
    a = t.output[:, :, 0]
    starts = t.w.shape[1]
    rows = [
        (
            _start(t, s),
            a[0, s],
            t.cost[0, s],
            a[-1, s],
            t.cost[-1, s],
        )
        for s in range(min(starts, MAX_ROWS))
    ]
    caption = f"{_trajectory_caption(t)} (a on the first example)"
    end = f"at epoch {t.epochs}"
    headers = ("start (w, b)", "a at epoch 0", "C at epoch 0", f"a {end}", f"C {end}")
    return table(caption, headers, rows) + _more(len(rows), starts, "starts")


def _trajectory_figures(t: Trajectory) -> list[Figure]:
    from ..plots import trajectory_figure

    return [trajectory_figure(t, s) for s in range(min(t.w.shape[1], MAX_FIGURES))]


def _slowdown_caption(runs: Sequence[SlowdownRun]) -> str:
    epochs = len(runs[0].epoch_cost) - 1 if runs else 0
    return f"one neuron, x = 1, y = 0: {plural(len(runs), 'run')} of {plural(epochs, 'epoch')}"


def _slowdown_html(runs: Sequence[SlowdownRun]) -> str:
    from ..experiments import OUTPUT_THRESHOLDS

    headers = (
        "rates",
        "cost",
        "η",
        "start (w, b)",
        *(f"first epoch |a − y| < {th:g}" for th in OUTPUT_THRESHOLDS),
        "C(1) − C(0)",
        "steepest epoch",
    )
    rows = [
        (
            run.setting,
            run.cost,
            run.eta,
            f"({run.w0:g}, {run.b0:g})",
            *(run.first_below[th] for th in OUTPUT_THRESHOLDS),
            run.initial_slope,
            run.steepest_epoch,
        )
        for run in runs
    ]
    return table(f"{_slowdown_caption(runs)} (—: not within them)", headers, rows)


def _slowdown_figures(runs: Sequence[SlowdownRun]) -> list[Figure]:
    from ..plots import slowdown_figure

    # The figure has a column for the article's rates and one for the common rate.
    if not runs or any(run.setting not in ("article", "common") for run in runs):
        return []
    return [slowdown_figure(runs)]


def _saturation_caption(grid: SaturationMap) -> str:
    n, limit = len(grid.w_values), grid.w_values[-1]
    return (
        f"epochs until |a − y| < {grid.threshold:g} from {n} × {n} starts in "
        f"[−{limit:g}, {limit:g}]², η = {grid.eta:g}, at most {grid.max_epochs} epochs"
    )


def _saturation_html(grid: SaturationMap) -> str:
    from ..experiments import SLOW_EPOCHS

    costs = list(grid.epochs)
    marked = [f"epochs from ({s.w:g}, {s.b:g})" for s in grid.marked]
    headers = ("cost", "median epochs", f"slow (> {SLOW_EPOCHS} epochs or never)", *marked)
    rows = [
        (
            cost,
            str(grid.median_epochs(cost)),
            percent(grid.slow_fraction(cost)),
            *(s.epochs[cost] if s.epochs[cost] >= 0 else "never" for s in grid.marked),
        )
        for cost in costs
    ]
    return table(_saturation_caption(grid), headers, rows)


def _saturation_figures(grid: SaturationMap) -> list[Figure]:
    from ..plots import saturation_figure

    return [saturation_figure(grid)]


# Networks


def _compare_caption(result: CompareResult) -> str:
    sizes = " → ".join(str(s) for s in result.layer_sizes)
    contenders = ", ".join(result.spec.costs)
    epochs = plural(result.spec.config.epochs, "epoch")
    return f"{contenders} on {result.spec.dataset}, layers {sizes}, {epochs}"


def _compare_html(result: CompareResult) -> str:
    from ..experiments import TARGET_ACCURACIES

    headers = (
        "contender",
        "η",
        "seeds",
        "test accuracy (mean)",
        *(f"median mini-batches to {100 * a:g}%" for a in TARGET_ACCURACIES),
    )
    rows = []
    for cost in result.spec.costs:
        runs = result.of(cost)
        if not runs:
            continue
        rows.append(
            (
                cost,
                runs[0].eta,
                len(runs),
                percent(float(np.mean([run.test_accuracy for run in runs]))),
                *(str(result.batches_to_reach(cost, a)) for a in TARGET_ACCURACIES),
            )
        )
    caption = f"{_compare_caption(result)} (> N: not reached by half the seeds in N mini-batches)"
    warnings = "".join(
        f"<p>warning: {markup.escape(f'{run.cost}, seed {run.seed}: {warning}')}</p>"
        for run in result.runs
        for warning in run.warnings
    )
    return table(caption, headers, rows) + warnings


def _compare_figures(result: CompareResult) -> list[Figure]:
    from ..plots import compare_figure

    return [compare_figure(result)]


def _run_caption(result: RunResult) -> str:
    sizes = " → ".join(str(s) for s in result.network.sizes)
    epochs = plural(result.state.epoch, "epoch")
    return f"{result.network.cost.label} on {result.dataset}, layers {sizes}, {epochs}"


def _run_html(result: RunResult) -> str:
    history, network = result.history, result.network
    records = history.records
    last = records[-1] if records else None
    rows = [
        ("data set", result.dataset),
        ("layers", " → ".join(str(s) for s in network.sizes)),
        ("cost", network.cost.label),
        ("epochs", last.epoch if last else 0),
        ("training cost, last epoch", last.training_cost if last else None),
        ("validation accuracy, best", percent(history.best_evaluation_accuracy)),
        ("test accuracy", percent(result.test_accuracy)),
        ("stopped early", history.stop_reason or ("on request" if result.stopped else "no")),
    ]
    rows += [("warning", warning) for warning in result.warnings]
    return table(_run_caption(result), ("", "value"), rows)


def _run_figures(result: RunResult) -> list[Figure]:
    from ..plots import history_figure

    if not result.history.records:
        return []
    return [history_figure(result.history, test_accuracy=result.test_accuracy, start=result.start)]


def _derivation_caption(derivation: Derivation) -> str:
    return derivation.title_en


def _derivation_html(derivation: Derivation) -> str:
    from ..experiments.derive_documents import html_section  # imports SymPy's printers

    return html_section(derivation, "en")


def _sweep_caption(sweep: SweepTable) -> str:
    fixed = ", ".join(f"{k} = {v}" for k, v in sweep.fixed.items())
    settings = plural(len(sweep.rows), "setting")
    return f"a sweep of {settings} ({fixed})" if fixed else f"a sweep of {settings}"


def _sweep_html(sweep: SweepTable) -> str:
    headers = (*sweep.varying, "test accuracy (mean ± sd)", "seeds", "diverged", "best")
    rows = [
        (
            *(row.setting[k] for k in sweep.varying),
            "—" if row.mean is None else f"{percent(row.mean)} ± {percent(row.sd or 0.0)}",
            len(row.seeds),
            row.diverged,
            "★" if row.best else "",
        )
        for row in sweep.rows
    ]
    return table(_sweep_caption(sweep), headers, rows)


def _sweep_figures(sweep: SweepTable) -> list[Figure]:
    from ..plots import sweep_figure

    return [sweep_figure(sweep)] if sweep.rows else []


@dataclass(frozen=True)
class Display:
    """How one class is shown: a line saying what it is (as text), its table, and its figures
    (none for a derivation)."""

    module: str
    name: str
    caption: Callable[[Any], str]
    table: Callable[[Any], str]
    figures: Callable[[Any], list[Figure]] | None = None


DISPLAYS: tuple[Display, ...] = (
    Display(
        "xentlab.neuron", "Trajectory", _trajectory_caption, _trajectory_html, _trajectory_figures
    ),
    Display(
        "xentlab.experiments.slowdown",
        "SlowdownRuns",
        _slowdown_caption,
        _slowdown_html,
        _slowdown_figures,
    ),
    Display(
        "xentlab.experiments.saturation",
        "SaturationMap",
        _saturation_caption,
        _saturation_html,
        _saturation_figures,
    ),
    Display(
        "xentlab.experiments.compare",
        "CompareResult",
        _compare_caption,
        _compare_html,
        _compare_figures,
    ),
    Display("xentlab.runs.training_run", "RunResult", _run_caption, _run_html, _run_figures),
    Display("xentlab.experiments.derivation", "Derivation", _derivation_caption, _derivation_html),
    Display("xentlab.sweeps.summary", "SweepTable", _sweep_caption, _sweep_html, _sweep_figures),
)
