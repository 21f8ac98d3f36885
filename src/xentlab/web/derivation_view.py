"""The derivation view (static/derivation.js): the article's algebra, each step checked by
SymPy, its equations as MathML (which the browser draws itself: no script, no remote font),
its prose in English or Chinese.

    GET /api/derivation?lang=&cost=&part=    the derivations of a selection: ``answer``

It adds to /api/setup whether SymPy is there; without it the view says, in one line, how to
install it, and the route refuses with that line. The derivations are ``experiments.derive``'s,
written by ``experiments.derive_documents`` as the report writes them; the page only shows them.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import XentlabError
from ..experiments.derive_choices import DERIVE_COSTS, PARTS, SYMPY_MISSING
from ..settings import LANGUAGE
from .params import Parameter, name
from .view import Shared, View, cached_json


def sympy_found() -> bool:
    """Whether SymPy is installed, found without importing it (the server starts at once)."""
    return importlib.util.find_spec("sympy") is not None


def parameters() -> tuple[Parameter, ...]:
    """The language of the prose, and which derivations (as ``xentlab derive`` chooses them)."""
    return (
        Parameter(LANGUAGE.name, name, LANGUAGE.constraint, LANGUAGE.default),
        Parameter("cost", name, DERIVE_COSTS, "all"),
        Parameter("part", name, PARTS, "all"),
    )


def answer(lang: str, cost: str, part: str) -> dict[str, Any]:
    """The derivations ``cost`` and ``part`` select, written in ``lang``: each with its title,
    what is given and its steps, each step's equation as a ``<math>`` element, its prose, its
    verdict and whether SymPy verified it; then the numeric check against xentlab's code."""
    from ..experiments.derive import derive  # imports SymPy: only when asked
    from ..experiments.derive_documents import (
        explanation,
        mathml_equation,
        numeric_line,
        title,
        verdict,
        words_of,
    )

    words = words_of(lang)
    return {
        "lang": lang,
        "title": words["title"],
        "intro": words["intro"],
        "given": words["given"],
        "derivations": [
            {
                "part": derivation.part,
                "cost": derivation.cost,
                "title": title(derivation, lang),
                "verified": derivation.verified,
                "given": [mathml_equation(lhs, "=", rhs) for lhs, rhs in derivation.given],
                "steps": [
                    {
                        "text": explanation(step, lang),
                        "verdict": verdict(step, lang),
                        "verified": step.verified,
                        "mathml": mathml_equation(step.lhs, step.relation, step.rhs),
                    }
                    for step in derivation.steps
                ],
                "numeric": numeric_line(derivation, lang),
            }
            for derivation in derive(cost, part)
        ],
    }


answer_json = cached_json(answer)


def build(shared: Shared) -> View:
    """The derivation view: its parameters, its route, and whether SymPy can answer it."""
    derivation_parameters = parameters()
    available = sympy_found()

    async def get_derivation(request: Request) -> Response:
        values = shared.query(request, derivation_parameters)  # a bad request is told first
        if not available:
            raise XentlabError(SYMPY_MISSING)
        return await shared.computed(answer_json, values)

    return View(
        name="derivation",
        parameters=derivation_parameters,
        routes=(Route("/api/derivation", get_derivation),),
        setup={"derivation": {"available": available, "missing": SYMPY_MISSING}},
    )
