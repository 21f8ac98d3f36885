"""Figures of a sweep: test accuracy against η for every setting it varies (mean ± sd over
seeds), and the book's chapter-3 networks beside xentlab's runs of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..sweeps import (
    BOOK_SETTINGS,
    BookRow,
    SettingRow,
    SweepTable,
    describe_fixed,
    rows_settings,
    show_value,
)
from .labels import Words, figure_words
from .style import SWEEP_MARKERS, cost_colour, cost_style


def sweep_figure(table: SweepTable, lang: str = "en") -> Figure:
    """Test accuracy against η, a line for each cost (and each combination of the other
    settings the sweep varies), its mean over seeds with the standard deviation as error bars
    and each seed as a faint dot; one panel per λ when the sweep varies λ. The best setting is
    ringed; a setting whose runs all diverged is an × at the foot of its panel. The words in
    ``lang`` (the settings named as the sweep's table names them)."""
    with figure_words(lang) as words:
        return _sweep_figure(table, words)


def _sweep_figure(table: SweepTable, words: Words) -> Figure:
    lmbdas = sorted({row.setting["lmbda"] for row in table.rows})
    panels = lmbdas if "lmbda" in table.varying else [None]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5.2 * len(panels) + 1.0, 4.4), sharey=True, squeeze=False
    )
    others = [k for k in table.varying if k not in ("cost", "eta", "lmbda")]
    kinds = list(dict.fromkeys(tuple(row.setting[k] for k in others) for row in table.rows))
    etas = sorted({row.setting["eta"] for row in table.rows})
    for ax, lmbda in zip(axes[0], panels, strict=True):
        labelled: set[str] = set()  # each marker's meaning once in the legend
        rows = [r for r in table.rows if lmbda is None or r.setting["lmbda"] == lmbda]
        lines: dict[tuple[Any, ...], list[SettingRow]] = {}
        for row in rows:
            kind = tuple(row.setting[k] for k in others)
            lines.setdefault((row.setting["cost"], kind), []).append(row)
        for (cost, kind), line in lines.items():
            line.sort(key=lambda r: r.setting["eta"])
            colour = cost_colour(cost)
            marker = SWEEP_MARKERS[kinds.index(kind) % len(SWEEP_MARKERS)]
            label = ", ".join(
                [
                    words.cost(cost),
                    *(f"{k} {show_value(k, v)}" for k, v in zip(others, kind, strict=True)),
                ]
            )
            done = [r for r in line if r.mean is not None]
            x = [r.setting["eta"] for r in done]
            ax.errorbar(
                x,
                [100 * (r.mean or 0.0) for r in done],
                yerr=[100 * (r.sd or 0.0) for r in done],
                color=colour,
                ls=cost_style(cost),
                marker=marker,
                capsize=4,
                label=label,
            )
            for r in done:
                each = [100 * a for a in r.finished]
                ax.plot([r.setting["eta"]] * len(each), each, ".", color=colour, alpha=0.35)
                if r.best:
                    ax.plot(
                        r.setting["eta"],
                        100 * (r.mean or 0.0),
                        "o",
                        ms=16,
                        mfc="none",
                        mec="black",
                        mew=1.2,
                        label=_once(labelled, words["best setting"]),
                    )
            for r in line:
                if r.mean is None:
                    ax.plot(
                        r.setting["eta"],
                        0,
                        "x",
                        color=colour,
                        ms=9,
                        mew=2,
                        clip_on=False,
                        label=_once(
                            labelled, words["every seed diverged"].format(cost=words.cost(cost))
                        ),
                    )
        if len(etas) > 1 and etas[-1] / etas[0] >= 10:
            ax.set_xscale("log")
        if len(etas) <= 8:
            ax.set_xticks(etas, [f"{eta:g}" for eta in etas])
            ax.minorticks_off()
        ax.set_xlabel(words["learning rate"])
        ax.grid(alpha=0.3)
        if lmbda is not None:
            ax.set_title(f"λ = {lmbda:g}")
        ax.legend(fontsize=8)
    axes[0, 0].set_ylabel(words["sweep accuracy"])
    seeds = max((len(r.seeds) for r in table.rows), default=0)
    counted = words["seed count" if seeds == 1 else "seed counts"].format(count=seeds)
    fig.suptitle(
        f"{words['sweep suptitle'].format(seeds=counted)}\n{describe_fixed(table)}", fontsize=9
    )
    fig.tight_layout()
    return fig


def book_figure(rows: Sequence[BookRow], lang: str = "en") -> Figure:
    """The book's networks, one line each: the test accuracy after the last epoch of each of
    xentlab's seed runs (dots), their median (a bar), and the book's figure (a black diamond),
    each labelled with its value; the settings of xentlab's runs are named, and the book's
    beside them where they differ. The words in ``lang`` (the settings named as the sweep's
    table names them)."""
    with figure_words(lang) as words:
        return _book_figure(rows, words)


def _book_figure(rows: Sequence[BookRow], words: Words) -> Figure:
    fig, ax = plt.subplots(figsize=(9, 1.6 + 1.1 * len(rows)))
    names = []
    for i, row in enumerate(rows):
        y = len(rows) - 1 - i  # the first row on top
        colour = cost_colour(row.book.cost)
        shown = row.points[0].sizes if row.points else row.book.hidden
        sizes = show_value("sizes", shown)
        if not row.points:
            sizes = words["hidden"].format(sizes=sizes)
        names.append(f"{sizes}\n{words.cost(row.book.cost)}, η = {row.book.eta:g}")
        finished = [100 * a for a in row.accuracies if a is not None]
        ax.plot(finished, [y] * len(finished), "o", color=colour, alpha=0.45, ms=6)
        if row.median is not None:
            ax.plot(100 * row.median, y, "|", color=colour, ms=22, mew=3)
            ax.annotate(
                words["xentlab median"].format(accuracy=f"{row.median:.2%}"),
                (100 * row.median, y),
                xytext=(0, 13),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color=colour,
            )
        else:
            ax.annotate(
                words["no run finished" if row.points else "not in this sweep"],
                (100 * row.book.accuracy, y),
                xytext=(0, 13),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color="grey",
            )
        ax.plot(100 * row.book.accuracy, y, "D", mfc="none", mec="black", mew=1.5, ms=9)
        ax.annotate(
            words["book accuracy"].format(
                accuracy=f"{row.book.accuracy:.2%}", where=row.book.where
            ),
            (100 * row.book.accuracy, y),
            xytext=(0, -13),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=8,
        )
    ax.set_yticks(range(len(rows) - 1, -1, -1), names)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.margins(x=0.15)
    ax.set_xlabel(words["book axis"])
    ax.grid(axis="x", alpha=0.3)
    legend = [  # drawn apart: the figure's markers are too large for a legend
        Line2D([], [], ls="", marker="o", color="grey", alpha=0.45, label=words["each seed"]),
        Line2D([], [], ls="", marker="|", color="grey", ms=12, mew=3, label=words["median"]),
        Line2D([], [], ls="", marker="D", mfc="none", mec="black", label=words["the book"]),
    ]
    fig.legend(handles=legend, loc="lower center", ncol=3, fontsize=8, frameon=False)
    mine = rows_settings(rows)
    settings = (
        words["xentlab settings"].format(settings=mine) if mine is not None else words["ran none"]
    )
    if mine != BOOK_SETTINGS:
        settings += "; " + words["book settings"].format(settings=BOOK_SETTINGS)
    fig.suptitle(f"{words['book suptitle']}\n{settings}", fontsize=10)
    fig.tight_layout(rect=(0, 0.35 / fig.get_figheight(), 1, 1))
    return fig


def _once(labelled: set[str], label: str) -> str:
    """``label`` the first time it is asked for, then matplotlib's "no legend entry"."""
    if label in labelled:
        return "_nolegend_"
    labelled.add(label)
    return label
