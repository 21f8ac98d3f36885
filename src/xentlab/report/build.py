"""One document from the experiments' results: the slowdown, the saturation map and a network
comparison, each with its figure, a few sentences and the formula behind it; then the article's
algebra checked by SymPy (equations as MathML in HTML, $$ LaTeX $$ in Markdown), or, where SymPy
is not installed, a line saying it is left out.

HTML is one self-contained file (figures embedded as PNG data, styles inline, no script and no
external reference: it opens with no network access); Markdown is a file with its PNGs beside
it. Nothing here computes a result: the experiments did.
"""

from __future__ import annotations

import base64
import html
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from ..experiments import TARGET_ACCURACIES, CompareResult, SaturationMap, SlowdownRun
from ..experiments.slowdown import ARTICLE_STARTS
from ..files import atomic_write, register_output_kind
from ..plots import compare_figure, png_bytes, saturation_figure, slowdown_figure
from .texts import LANGUAGES, TEXTS

if TYPE_CHECKING:  # its module imports SymPy, which the report needs only for that section
    from ..experiments.derivation import Derivation

STYLE = (
    "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#222}img{max-width:100%}table{border-collapse:collapse}"
    "td,th{border:1px solid #999;padding:.2rem .6rem;text-align:right}"
    "code,.settings{font-family:monospace;font-size:.9rem}"
)


SECTION_NAMES = ("slowdown", "saturation", "compare")  # each section's figure: {stem}-{name}.png


def written_as_report(head: bytes, tail: bytes) -> bool:
    """Whether a file is a report xentlab wrote: HTML whose title, or Markdown whose first
    line, is a report's title in one of its languages (files.register_output_kind)."""
    start = head[:1000].decode("utf-8", errors="replace")
    titles = [html.escape(texts["title"]) for texts in TEXTS.values()]
    if start.startswith("<!DOCTYPE html>"):
        return any(f"<title>{title}</title>" in start for title in titles)
    return any(start.startswith(f"# {texts['title']}\n") for texts in TEXTS.values())


register_output_kind("report", written_as_report)


def report_files(path: str | os.PathLike[str], fmt: str) -> list[tuple[Path, str]]:
    """Every file a report at ``path`` in format ``fmt`` writes, as (path, kind) pairs: the
    report, and for Markdown its figures beside it."""
    target = Path(path)
    figures = [target.with_name(f"{target.stem}-{name}.png") for name in SECTION_NAMES]
    return [(target, "report"), *((f, "figure") for f in figures if fmt == "md")]


@dataclass(frozen=True)
class ReportInputs:
    """The results a report shows, and the settings that produced them."""

    slowdown: list[SlowdownRun]
    saturation: SaturationMap
    comparison: CompareResult
    settings: dict[str, Any] = field(default_factory=dict)
    # the derivations checked by SymPy; None: SymPy is not installed, and the section says so
    derivations: Sequence[Derivation] | None = None


@dataclass(frozen=True)
class Section:
    title: str
    text: str
    figure: bytes  # PNG
    name: str  # for the PNG file beside a Markdown report


def sections(inputs: ReportInputs, lang: str) -> list[Section]:
    t = TEXTS[LANGUAGES.check("lang", lang)]
    grid, comparison = inputs.saturation, inputs.comparison
    spec = comparison.spec
    eta = (
        spec.eta
        if not isinstance(spec.eta, dict)
        else ", ".join(f"{c} {e:g}" for c, e in spec.eta.items())
    )
    return [
        Section(
            t["slowdown_title"],
            t["slowdown_text"],
            png_bytes(slowdown_figure(inputs.slowdown, lang=lang)),
            SECTION_NAMES[0],
        ),
        Section(
            t["saturation_title"],
            t["saturation_text"].format(
                threshold=f"{grid.threshold:g}",
                quadratic=f"{grid.slow_fraction('quadratic'):.0%}",
                entropy=f"{grid.slow_fraction('cross-entropy'):.0%}",
            ),
            png_bytes(saturation_figure(grid, ARTICLE_STARTS, lang=lang)),
            SECTION_NAMES[1],
        ),
        Section(
            t["compare_title"].format(sizes=list(comparison.layer_sizes), dataset=spec.dataset),
            t["compare_text"].format(init=spec.network.init, eta=eta),
            png_bytes(compare_figure(comparison, lang=lang)),
            SECTION_NAMES[2],
        ),
    ]


def headline_rows(comparison: CompareResult, lang: str) -> list[list[str]]:
    """Header and one row per cost: mini-batches to each target accuracy, test accuracy."""
    t = TEXTS[lang]
    rows = [
        [
            t["table_cost"],
            *(t["table_reach"].format(accuracy=f"{a:.0%}") for a in TARGET_ACCURACIES),
            t["test_accuracy"],
        ]
    ]
    for cost in comparison.spec.costs:
        reached = [comparison.batches_to_reach(cost, a) for a in TARGET_ACCURACIES]
        tests = [run.test_accuracy for run in comparison.of(cost)]
        rows.append(
            [
                cost,
                *(str(r) for r in reached),
                f"{np.median(tests):.2%}",
            ]
        )
    return rows


def headline_note(comparison: CompareResult, lang: str) -> str:
    """How the table's medians count the seeds that did not reach an accuracy."""
    budget = comparison.spec.config.epochs * comparison.runs[0].per_epoch
    return TEXTS[lang]["censored_note"].format(budget=f"{budget:,}")


def _versions(lang: str) -> str:
    return TEXTS[lang]["version"].format(
        version=__version__, python=platform.python_version(), numpy=np.__version__
    )


def write_html(
    path: str | os.PathLike[str], inputs: ReportInputs, lang: str = "en", *, force: bool = False
) -> None:
    """The report as one self-contained HTML file, written atomically."""
    t = TEXTS[LANGUAGES.check("lang", lang)]
    e = html.escape
    parts = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{e(t['title'])}</title><style>{STYLE}</style></head><body>",
        f"<h1>{e(t['title'])}</h1><p>{e(t['intro'])}</p>",
    ]
    for number, section in enumerate(sections(inputs, lang)):
        picture = base64.b64encode(section.figure).decode("ascii")
        parts.append(f"<h2>{e(section.title)}</h2><p>{e(section.text)}</p>")
        parts.append(f'<img alt="{e(section.title)}" src="data:image/png;base64,{picture}">')
        if number == 2:
            header, *body = headline_rows(inputs.comparison, lang)
            parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in body]
            parts.append("</table>")
            parts.append(f"<p>{e(headline_note(inputs.comparison, lang))}</p>")
    parts.append(f"<h2>{e(t['derive_title'])}</h2>")
    if inputs.derivations is None:
        parts.append(f"<p>{e(t['derive_missing'])}</p>")
    else:
        from ..experiments.derive_documents import html_section

        parts.append(f"<p>{e(t['derive_text'])}</p>")
        parts += [html_section(derivation, lang) for derivation in inputs.derivations]
    settings = "".join(f"<li>{e(k)}: {e(str(v))}</li>" for k, v in inputs.settings.items())
    parts.append(f'<h2>{e(t["settings"])}</h2><ul class="settings">{settings}</ul>')
    parts.append(f"<p>{e(_versions(lang))}</p></body></html>")
    with atomic_write(path, "w", kind="report", force=force, encoding="utf-8") as handle:
        handle.write("\n".join(parts) + "\n")


def write_markdown(
    path: str | os.PathLike[str], inputs: ReportInputs, lang: str = "en", *, force: bool = False
) -> list[Path]:
    """The report as Markdown with its figures as PNG files beside it (named after the report);
    returns the figures' paths. Files there must be xentlab's report and figures, unless
    ``force``."""
    t = TEXTS[LANGUAGES.check("lang", lang)]
    target = Path(path)
    lines = [f"# {t['title']}", "", t["intro"], ""]
    written = []
    for number, section in enumerate(sections(inputs, lang)):
        picture = target.with_name(f"{target.stem}-{section.name}.png")
        with atomic_write(picture, "wb", kind="figure", force=force) as handle:
            handle.write(section.figure)
        written.append(picture)
        lines += [
            f"## {section.title}",
            "",
            section.text,
            "",
            f"![{section.title}]({picture.name})",
            "",
        ]
        if number == 2:
            header, *body = headline_rows(inputs.comparison, lang)
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(row) + " |" for row in body]
            lines += ["", headline_note(inputs.comparison, lang), ""]
    lines += [f"## {t['derive_title']}", ""]
    if inputs.derivations is None:
        lines += [t["derive_missing"], ""]
    else:
        from ..experiments.derive_documents import markdown_section

        lines += [t["derive_text"], ""]
        for derivation in inputs.derivations:
            lines += markdown_section(derivation, lang, level=3)
    lines += [f"## {t['settings']}", ""]
    lines += [f"- {k}: `{v}`" for k, v in inputs.settings.items()]
    lines += ["", _versions(lang), ""]
    with atomic_write(target, "w", kind="report", force=force, encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    return written
