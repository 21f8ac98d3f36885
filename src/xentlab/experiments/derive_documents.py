"""The derivations checked by SymPy (``experiments.derive``), written out: as Unicode text for
a terminal, as a LaTeX document, as Markdown with $$ LaTeX $$, and as HTML with MathML (for the
report and a page). Each step shows ✓ where SymPy verified it and says so where it did not;
the prose is English or Chinese. Nothing here computes: the derivations did.

Imports SymPy (its printers); only ``xentlab derive``, the report's derivation section and the
page's derivation view import this module. It lies here, below the front ends, because three of
them show what it writes.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Sequence

import sympy as sp
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.pretty.pretty_symbology import pretty_use_unicode
from sympy.printing.pretty.stringpict import prettyForm, stringPict

from ..settings import LANGUAGE
from .derivation import (
    EQUALITY,
    LATEX_NAMES,
    RELATIVE_TOLERANCE,
    Derivation,
    Step,
)
from .derive_choices import DERIVATION_FORMATS
from .derive_words import WORDS

# Terms in the order the derivation wrote them (SymPy's own order would print −y + σ(z)).
ORDER = "none"
TEX_RELATIONS = {"=": "=", ">": ">", "≥": r"\geq"}
MATHML_RELATIONS = {"=": "=", ">": "&gt;", "≥": "&#x2265;"}


def words_of(lang: str) -> dict[str, str]:
    """The documents' words in ``lang`` (en or zh), refused by name otherwise."""
    return WORDS[LANGUAGE.check(lang)]


def title(derivation: Derivation, lang: str) -> str:
    return derivation.title_zh if lang == "zh" else derivation.title_en


def explanation(step: Step, lang: str) -> str:
    return step.zh if lang == "zh" else step.en


def verdict(step: Step, lang: str) -> str:
    """✓ or ✗, and the test SymPy ran where it is not simplify(lhs − rhs) = 0."""
    words = words_of(lang)
    said = words["verified" if step.verified else "unverified"]
    return said if step.how == EQUALITY else f"{said}; {words['how']}: {step.how}"


def numeric_line(derivation: Derivation, lang: str) -> str:
    words = words_of(lang)
    check = derivation.numeric
    if check is None:
        return words["none"]
    return words["numeric"].format(
        against=words["and"].join(check.against),
        points=check.points,
        worst=check.worst_relative_difference,
        verdict=words["within" if check.passed else "beyond"],
        tolerance=RELATIVE_TOLERANCE,
    )


# --- one equation, three ways ------------------------------------------------------------------


class _Pretty(PrettyPrinter):  # type: ignore[misc]
    """SymPy's pretty printer, but a sum of vectors prints its minus signs (aᴸ − y, not aᴸ -y),
    and the natural logarithm is ln, as the article writes it (SymPy's log is ln)."""

    def _print_log(self, expr: sp.log) -> prettyForm:
        return self._print_Function(expr, func_name="ln")

    def _print_MatAdd(self, expr: sp.MatAdd) -> prettyForm:
        shown = None
        for term in expr.args:
            negative = term.as_coeff_mmul()[0].could_extract_minus_sign()
            form = self._print(-term if negative else term)
            if shown is None:
                shown = prettyForm(*stringPict.next("-", form)) if negative else form
            else:
                shown = prettyForm(*stringPict.next(shown, " - " if negative else " + ", form))
        return shown


def pretty_equation(lhs: sp.Basic, relation: str, rhs: sp.Basic, unicode: bool = True) -> str:
    """``lhs relation rhs`` on as many lines as its fractions and matrices need, drawn in
    Unicode or in ASCII (SymPy reads that choice from a global flag: set, then put back)."""
    before = pretty_use_unicode(unicode)
    try:
        printer = _Pretty({"use_unicode": unicode, "order": ORDER})
        left, right = printer._print(lhs), printer._print(rhs)
        joined = prettyForm(*stringPict.next(left, f" {relation} ", right))
        return str(joined.render(wrap_line=False))
    finally:
        pretty_use_unicode(before)


def tex(expression: sp.Basic) -> str:
    return str(sp.latex(expression, symbol_names=LATEX_NAMES, order=ORDER, ln_notation=True))


def tex_equation(lhs: sp.Basic, relation: str, rhs: sp.Basic) -> str:
    return f"{tex(lhs)} {TEX_RELATIONS[relation]} {tex(rhs)}"


class _MathML(MathMLPresentationPrinter):  # type: ignore[misc]
    """SymPy's presentation MathML, but the negative of a sum keeps its parentheses: SymPy
    prints −(y ln a + (1 − y) ln(1 − a)), written unevaluated, as −y ln a + (1 − y) ln(1 − a).
    The logarithm is written ln (``ln_notation``), as in the text and LaTeX."""

    def _print_Mul(self, expr: sp.Mul) -> object:
        if expr.could_extract_minus_sign() and isinstance(-expr, sp.Add):
            shown = self.dom.createElement("mrow")
            minus = self.dom.createElement("mo")
            minus.appendChild(self.dom.createTextNode("-"))
            shown.appendChild(minus)
            shown.appendChild(self.parenthesize(-expr, PRECEDENCE["Mul"]))
            return shown
        return super()._print_Mul(expr)


def mathml_equation(lhs: sp.Basic, relation: str, rhs: sp.Basic) -> str:
    """``<math display="block">`` holding SymPy's presentation MathML of each side."""
    printer = _MathML({"order": ORDER, "ln_notation": True})
    left, right = (printer.doprint(side) for side in (lhs, rhs))
    middle = f"<mo>{MATHML_RELATIONS[relation]}</mo>"
    return f'<math display="block"><mrow>{left}{middle}{right}</mrow></math>'


# --- documents ---------------------------------------------------------------------------------


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _indented(text: str, by: str) -> str:
    return "\n".join(f"{by}{line}".rstrip() for line in text.splitlines())


def as_text(derivations: Sequence[Derivation], lang: str = "en", unicode: bool = True) -> str:
    """For a terminal: each equation drawn by SymPy's pretty printer, in Unicode (or, for a
    terminal without it, ASCII)."""
    words = words_of(lang)
    lines = [words["title"], "", words["intro"], ""]
    for derivation in derivations:
        heading = title(derivation, lang)
        lines += [heading, "=" * _width(heading), words["given"]]
        for lhs, rhs in derivation.given:
            lines.append(_indented(pretty_equation(lhs, "=", rhs, unicode), "    "))
        lines.append("")
        for number, step in enumerate(derivation.steps, 1):
            lines.append(f"{number:2}. {explanation(step, lang)}  [{verdict(step, lang)}]")
            shown = pretty_equation(step.lhs, step.relation, step.rhs, unicode)
            lines.append(_indented(shown, "    "))
        lines += ["", numeric_line(derivation, lang), "", ""]
    return "\n".join(lines).rstrip() + "\n"


# Prose in LaTeX: its few math characters as LaTeX, so that pdflatex reads the English one
# (the Chinese one is a ctexart, for xelatex).
TEX_SPECIAL = {c: "\\" + c for c in "&%#_{}"} | {"\\": r"\textbackslash{}", "^": r"\^{}"}
TEX_PROSE = {
    "σ": r"$\sigma$",
    "∂": r"$\partial$",
    "Σ": r"$\Sigma$",
    "δ": r"$\delta$",
    "ᴸ": r"$^L$",
    "²": r"$^2$",
    "−": "-",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "≠": r"$\neq$",
    "⊙": r"$\odot$",
    "·": r"$\cdot$",
    "∅": r"$\emptyset$",
    "→": r"$\to$",
    "≈": r"$\approx$",
    "∈": r"$\in$",
    "ₐ": r"$_a$",
    "₌": "=",
    "ᵧ": r"$_y$",
    "—": "---",
    "✓": r"$\checkmark$",
    "✗": r"$\times$",
}


def tex_prose(text: str) -> str:
    """Plain text as LaTeX: its special characters escaped, its math characters as math."""
    return "".join(TEX_SPECIAL.get(c) or TEX_PROSE.get(c) or c for c in text)


def as_tex(derivations: Sequence[Derivation], lang: str = "en") -> str:
    """A LaTeX document (amsmath and amssymb; the Chinese one a ctexart, for xelatex)."""
    words = words_of(lang)
    lines = [
        f"% {words['title']} (xentlab derive)",
        r"\documentclass{ctexart}" if lang == "zh" else r"\documentclass{article}",
        r"\usepackage{amsmath,amssymb}",
        r"\begin{document}",
        rf"\section*{{{tex_prose(words['title'])}}}",
        tex_prose(words["intro"]),
    ]
    for derivation in derivations:
        lines.append(rf"\subsection*{{{tex_prose(title(derivation, lang))}}}")
        lines.append(tex_prose(words["given"]))
        lines += [rf"\[ {tex_equation(lhs, '=', rhs)} \]" for lhs, rhs in derivation.given]
        lines.append(r"\begin{enumerate}")
        for step in derivation.steps:
            said = tex_prose(f"{explanation(step, lang)} [{verdict(step, lang)}]")
            lines += [rf"\item {said}", rf"\[ {tex_equation(step.lhs, step.relation, step.rhs)} \]"]
        lines += [r"\end{enumerate}", tex_prose(numeric_line(derivation, lang))]
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


def markdown_section(derivation: Derivation, lang: str, level: int = 2) -> list[str]:
    """One derivation in Markdown, its equations as $$ LaTeX $$ blocks."""
    words = words_of(lang)
    lines = [f"{'#' * level} {title(derivation, lang)}", "", words["given"], ""]
    for lhs, rhs in derivation.given:
        lines += [f"$$ {tex_equation(lhs, '=', rhs)} $$", ""]
    for number, step in enumerate(derivation.steps, 1):
        lines += [f"{number}. {explanation(step, lang)} — {verdict(step, lang)}", ""]
        lines += [f"   $$ {tex_equation(step.lhs, step.relation, step.rhs)} $$", ""]
    return [*lines, numeric_line(derivation, lang), ""]


def as_markdown(derivations: Sequence[Derivation], lang: str = "en") -> str:
    words = words_of(lang)
    lines = [f"# {words['title']}", "", words["intro"], ""]
    for derivation in derivations:
        lines += markdown_section(derivation, lang)
    return "\n".join(lines)


def html_section(derivation: Derivation, lang: str, level: int = 3) -> str:
    """One derivation as HTML, its equations as MathML (no script: browsers draw MathML)."""
    words, e = words_of(lang), html.escape
    parts = [f"<h{level}>{e(title(derivation, lang))}</h{level}>", f"<p>{e(words['given'])}</p>"]
    parts += [mathml_equation(lhs, "=", rhs) for lhs, rhs in derivation.given]
    parts.append("<ol>")
    for step in derivation.steps:
        parts.append(f"<li>{e(explanation(step, lang))} — {e(verdict(step, lang))}")
        parts.append(f"{mathml_equation(step.lhs, step.relation, step.rhs)}</li>")
    parts += ["</ol>", f"<p>{e(numeric_line(derivation, lang))}</p>"]
    return "\n".join(parts)


def render(
    derivations: Sequence[Derivation], fmt: str = "text", lang: str = "en", unicode: bool = True
) -> str:
    """The derivations as ``fmt`` (text, tex or md), the prose in ``lang`` (en or zh); text's
    equations drawn in Unicode, or in ASCII if not ``unicode``."""
    lang = LANGUAGE.check(lang)
    if DERIVATION_FORMATS.check("format", fmt) == "text":
        return as_text(derivations, lang, unicode)
    return as_tex(derivations, lang) if fmt == "tex" else as_markdown(derivations, lang)
