"""xentlab derive: the article's algebra checked by SymPy. Every step is verified (and a false
step is not), the derivations end in the article's formulas, those formulas agree with
xentlab's own gradient code to 1e-12 (and stop agreeing when that code is changed), and the
command writes each format in each language, or says in one line what is wrong."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from xentlab.cli.main import main

SYMPY = "SymPy is not installed (pip install sympy)"
SRC = Path(__file__).resolve().parent.parent / "src"


@pytest.fixture(scope="module")
def sp():
    return pytest.importorskip("sympy", reason=SYMPY)


@pytest.fixture(scope="module")
def derivations(sp):
    from xentlab.experiments.derive import derive

    return derive()


def test_every_step_is_verified_and_every_numeric_check_within_1e_12(derivations):
    from xentlab.experiments.derivation import RELATIVE_TOLERANCE

    assert RELATIVE_TOLERANCE == 1e-12
    assert {(d.part, d.cost) for d in derivations} == {
        ("neuron", "quadratic"),
        ("neuron", "cross-entropy"),
        ("reverse", "cross-entropy"),
        ("properties", "cross-entropy"),
        ("outputs", "quadratic"),
        ("outputs", "cross-entropy"),
        ("outputs", "log-likelihood"),
    }
    assert len(derivations) == 8  # the quadratic's outputs twice: sigmoid and linear
    for derivation in derivations:
        unverified = [step.en for step in derivation.steps if not step.verified]
        assert unverified == [], derivation.title_en
        check = derivation.numeric
        assert check is not None and check.points == 64, derivation.title_en
        assert check.worst_relative_difference < 1e-12, (derivation.title_en, check)
        assert derivation.verified


def _named(derivations, part, cost, title=""):
    (found,) = [d for d in derivations if (d.part, d.cost) == (part, cost) and title in d.title_en]
    return found


def _same(sp, first, second):
    difference = sp.simplify(sp.sympify(first) - sp.sympify(second))
    return difference.is_zero_matrix if hasattr(difference, "is_zero_matrix") else difference == 0


def test_the_derivations_end_in_the_articles_formulas(sp, derivations):
    from xentlab.experiments import derive_outputs as outputs
    from xentlab.experiments.derivation import Sigmoid, SigmoidPrime
    from xentlab.experiments.derive_neuron import C, a, dC_db, dC_dw, x_j, y, z

    error = Sigmoid(z) - y
    entropy = _named(derivations, "neuron", "cross-entropy").final
    assert _same(sp, entropy[dC_dw], x_j * error) and _same(sp, entropy[dC_db], error)
    assert not entropy[dC_dw].has(SigmoidPrime)  # σ'(z) has cancelled
    quadratic = _named(derivations, "neuron", "quadratic").final
    assert _same(sp, quadratic[dC_dw], x_j * error * SigmoidPrime(z))
    assert _same(sp, quadratic[dC_db], error * SigmoidPrime(z))
    found = _named(derivations, "reverse", "cross-entropy").final[C]
    assert _same(sp, found, -(y * sp.log(a) + (1 - y) * sp.log(1 - a)))
    (minimum,) = _named(derivations, "properties", "cross-entropy").final.values()
    assert _same(sp, minimum, -y * sp.log(y) - (1 - y) * sp.log(1 - y))
    a_minus_y = outputs.A - outputs.Y
    for cost, title in [("cross-entropy", ""), ("log-likelihood", ""), ("quadratic", "Linear")]:
        (delta,) = _named(derivations, "outputs", cost, title).final.values()
        assert delta.doit() == a_minus_y, (cost, title)
    (delta,) = _named(derivations, "outputs", "quadratic", "Sigmoid").final.values()
    assert delta.doit() == sp.HadamardProduct(a_minus_y, outputs.SIGMA_PRIME_Z).doit()
    assert delta.doit() != a_minus_y


def test_a_false_step_is_not_verified(sp):
    """The check is SymPy's, not the text's: a wrong step, inequality or integral fails."""
    from xentlab.experiments.derivation import Meanings, Sigmoid, SigmoidPrime
    from xentlab.experiments.derive_neuron import _neuron_meanings, a, dC_dw, x_j, y, z

    entropy = _neuron_meanings("cross-entropy")
    assert entropy.equal(dC_dw, x_j * (Sigmoid(z) - y), "", "").verified
    # the quadratic's gradient is not the cross-entropy's
    assert not entropy.equal(dC_dw, x_j * (Sigmoid(z) - y) * SigmoidPrime(z), "", "").verified
    assert not _neuron_meanings("quadratic").equal(dC_dw, x_j * (Sigmoid(z) - y), "", "").verified
    plain = Meanings()
    assert not plain.equal(SigmoidPrime(z), Sigmoid(z) * (1 + Sigmoid(z)), "", "").verified
    unit = sp.Interval.open(0, 1)
    assert plain.positive_on(-sp.log(a), a, unit, "", "").verified
    assert not plain.positive_on(sp.log(a), a, unit, "", "").verified
    constant = sp.Symbol("constant")
    integral = sp.Integral(1 / a, a)
    assert plain.antiderivative(integral, sp.log(a), constant, "", "").verified
    assert not plain.antiderivative(integral, sp.log(1 - a), constant, "", "").verified


def test_a_name_that_is_the_variable_of_a_limit_is_refused(sp):
    """Replacing a limit's variable by its meaning would change the limit: refused, loudly."""
    from xentlab.experiments.derivation import Meanings, SigmoidPrime
    from xentlab.experiments.derive_neuron import Z_DEFINITION, z

    meanings = Meanings({z: Z_DEFINITION})
    with pytest.raises(ValueError, match="bound variables"):
        meanings.equal(sp.Limit(SigmoidPrime(z), z, sp.oo), sp.Integer(0), "", "")


def _without_sigma_prime(z, y):
    from xentlab.functions import sigmoid

    return sigmoid(z) - y


def _with_sigma_prime(z, y):
    from xentlab.functions import sigmoid, sigmoid_prime

    return (sigmoid(z) - y) * sigmoid_prime(z)


@pytest.mark.parametrize(
    ("cost", "changed"),
    [("quadratic", _without_sigma_prime), ("cross-entropy", _with_sigma_prime)],
)
def test_changing_xentlabs_delta_makes_the_numeric_checks_fail(sp, monkeypatch, cost, changed):
    """A cost whose δ drops (or gains) σ'(z) is caught by the neuron's and the outputs' checks:
    the checks evaluate xentlab's code as it is when they run."""
    from xentlab import functions
    from xentlab.experiments.derive_neuron import neuron_gradient
    from xentlab.experiments.derive_outputs import sigmoid_outputs

    assert neuron_gradient(cost).numeric.passed and sigmoid_outputs(cost).numeric.passed
    sigmoid = functions.Output.SIGMOID
    changed_cost = dataclasses.replace(functions.PAIRS[cost][sigmoid], delta=changed)
    monkeypatch.setitem(functions.PAIRS[cost], sigmoid, changed_cost)
    for check in (neuron_gradient(cost).numeric, sigmoid_outputs(cost).numeric):
        assert not check.passed and check.worst_relative_difference > 0.1, check


def test_changing_the_neurons_gradient_or_the_backprop_makes_the_checks_fail(sp, monkeypatch):
    from xentlab import neuron
    from xentlab.experiments.derive_neuron import neuron_gradient
    from xentlab.experiments.derive_outputs import linear_output, sigmoid_outputs
    from xentlab.functions import sigmoid_prime
    from xentlab.model import Network

    gradient, deltas = neuron.gradient, Network.deltas

    def slowed_gradient(w, b, x, y, cost):
        dw, db = gradient(w, b, x, y, cost)
        z = np.asarray(x) @ np.asarray(w) + b
        return dw * sigmoid_prime(z), db * float(sigmoid_prime(z)[0])

    def slowed_deltas(self, X, Y):
        inputs, found = deltas(self, X, Y)
        found[-1] = found[-1] * sigmoid_prime(self.weighted_inputs(X)[-1])
        return inputs, found

    monkeypatch.setattr(neuron, "gradient", slowed_gradient)
    assert not neuron_gradient("cross-entropy").numeric.passed
    monkeypatch.setattr(Network, "deltas", slowed_deltas)
    outputs = sigmoid_outputs("cross-entropy").numeric
    assert not outputs.passed and "Network.deltas (output layer)" in outputs.against
    linear = linear_output().numeric
    assert not linear.passed and "Network.deltas (output layer)" in linear.against


def test_changing_the_linear_outputs_delta_makes_its_check_fail(sp, monkeypatch):
    import dataclasses

    from xentlab import functions
    from xentlab.experiments.derive_outputs import linear_output
    from xentlab.functions import Output, sigmoid_prime

    assert linear_output().numeric.passed
    linear = functions.PAIRS["quadratic"][Output.LINEAR]
    slowed = dataclasses.replace(linear, delta=lambda z, y: (z - y) * sigmoid_prime(z))
    monkeypatch.setitem(functions.PAIRS["quadratic"], Output.LINEAR, slowed)
    check = linear_output().numeric
    assert not check.passed and check.worst_relative_difference > 0.1, check


def test_derive_refuses_an_empty_selection(sp):
    from xentlab.errors import XentlabError
    from xentlab.experiments.derive import derive

    with pytest.raises(XentlabError, match="cost 'log-likelihood', whose parts are outputs"):
        derive("log-likelihood", "neuron")
    with pytest.raises(XentlabError, match="part must be one of"):
        derive("all", "everything")
    with pytest.raises(XentlabError, match="points must be at most 100000"):
        derive(points=10**9)


# --- the command line ---------------------------------------------------------------------------

NEURON = ["derive", "--part", "neuron", "--cost", "cross-entropy"]


@pytest.mark.parametrize(
    ("fmt", "marks"),
    [
        ("text", ["The article's algebra, checked by SymPy", "∂C/∂w_j = x_j⋅(σ(z) - y)"]),
        (
            "tex",
            [
                r"\documentclass{article}",
                r"\frac{\partial C}{\partial w_j} = x_{j} \left(\sigma\left(z\right) - y\right)",
                r"\end{document}",
            ],
        ),
        ("md", ["# The article's algebra", r"$$ \frac{\partial C}{\partial b} = \sigma"]),
    ],
)
def test_each_format(sp, capsys, fmt, marks):
    assert main([*NEURON, "--format", fmt]) == 0
    shown = capsys.readouterr().out
    for mark in marks:
        assert mark in shown, mark
    assert shown.count("✓" if fmt != "tex" else r"\checkmark") == 11  # the intro's, each step's
    assert "not verified" not in shown and "below 1e-12" in shown


def test_chinese_prose(sp, capsys):
    assert main([*NEURON, "--lang", "zh", "--format", "md"]) == 0
    shown = capsys.readouterr().out
    assert "# 文章中的推导，由 SymPy 验证" in shown and "通分之后简化为" in shown
    assert "✓ 已验证" in shown and "Given" not in shown


def test_out_writes_a_file_and_replaces_only_its_own(sp, tmp_path, capsys):
    target = tmp_path / "derive.tex"
    for lang in ("en", "zh"):  # one derivation replaces another
        assert main([*NEURON, "--format", "tex", "--lang", lang, "--out", str(target)]) == 0
    assert r"\documentclass{ctexart}" in target.read_text(encoding="utf-8")
    assert capsys.readouterr().out == f"derivation written to {target}\n" * 2
    # a new process knows the file for a derivation before it imports SymPy and the renderers
    env = {**os.environ, "PYTHONPATH": str(SRC), "XDG_CACHE_HOME": str(tmp_path)}
    again = [sys.executable, "-m", "xentlab", *NEURON, "--format", "md", "--out", str(target)]
    done = subprocess.run(again, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert target.read_text(encoding="utf-8").startswith("# The article's algebra")
    mine = tmp_path / "notes.md"
    mine.write_text("my notes\n")
    assert main([*NEURON, "--out", str(mine)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "notes.md" in error and "--force" in error
    assert mine.read_text() == "my notes\n"


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--cost", "hinge"], "invalid choice: 'hinge'"),
        (["--format", "pdf"], "invalid choice: 'pdf'"),
        (["--lang", "fr"], "invalid choice: 'fr'"),
        (["--cost", "log-likelihood", "--part", "reverse"], "whose parts are outputs"),
        (["--out", "/no/such/folder/d.md"], "directory /no/such/folder does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(sp, capsys, arguments, said):
    assert main(["derive", *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and said in captured.err


def test_without_sympy_the_command_says_what_to_install(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "sympy", None)  # import sympy now fails
    assert main(["derive", "--out", str(tmp_path / "d.md")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "pip install sympy" in captured.err
    assert list(tmp_path.iterdir()) == []


def test_the_help_shows_an_example(capsys):
    assert main(["derive", "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())  # as argparse wraps it
    assert "Example: xentlab derive --cost cross-entropy --part neuron" in shown


def test_import_xentlab_and_the_whole_help_never_import_sympy(tmp_path):
    """``import xentlab`` and ``xentlab --help`` (which builds every command's parser, derive's
    included) never import SymPy (``xentlab train``'s imports are tests/test_startup.py's)."""
    probe = (
        "import json, sys\n"
        "import xentlab\n"
        "after_import = 'sympy' in sys.modules\n"
        "from xentlab.cli.main import main\n"
        "code = main(sys.argv[1:])\n"
        "print(json.dumps([after_import, 'sympy' in sys.modules, code]), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC), "XDG_CACHE_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", probe, "--help"], env=env, capture_output=True, text=True
    )
    assert json.loads(done.stderr.splitlines()[-1]) == [False, False, 0]


def test_mathml_keeps_the_parentheses_of_a_negated_sum(sp):
    """SymPy's MathML drops them (−y ln a + ...); the page and the report must show −(...)."""
    from xentlab.experiments.derive_documents import mathml_equation, pretty_equation, tex_equation
    from xentlab.experiments.derive_neuron import CROSS_ENTROPY_OF_A, C

    shown = mathml_equation(C, "=", CROSS_ENTROPY_OF_A)
    assert shown.startswith('<math display="block">')
    assert "<mo>=</mo><mrow><mo>-</mo><mrow><mo>(</mo>" in shown
    assert tex_equation(C, "=", CROSS_ENTROPY_OF_A).startswith(r"C = - (y \ln")
    assert pretty_equation(C, "=", CROSS_ENTROPY_OF_A) == "C = -(y⋅ln(a) + (1 - y)⋅ln(1 - a))"


def test_every_format_writes_the_natural_logarithm_ln_as_the_article_does(sp):
    from xentlab.experiments.derive_documents import mathml_equation, pretty_equation, tex_equation
    from xentlab.experiments.derive_neuron import CROSS_ENTROPY_OF_A, C

    mathml = mathml_equation(C, "=", CROSS_ENTROPY_OF_A)
    assert mathml.count("<mi>ln</mi>") == 2 and "log" not in mathml
    for unicode in (True, False):
        assert "log" not in pretty_equation(C, "=", CROSS_ENTROPY_OF_A, unicode=unicode)
    assert "log" not in tex_equation(C, "=", CROSS_ENTROPY_OF_A)


def test_a_terminal_without_unicode_gets_the_equations_drawn_in_ascii(sp, tmp_path):
    """SymPy draws them in ASCII (its brackets, sigma); what is left of the names falls back
    one character for one, so that fractions and brackets stay aligned."""
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "XDG_CACHE_HOME": str(tmp_path),
        "PYTHONIOENCODING": "ascii",
    }
    done = subprocess.run(
        [sys.executable, "-m", "xentlab", *NEURON], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    shown = done.stdout.decode("ascii")
    assert "dC/dw_j = x_j*(sigma(z) - y)" in shown and "[v verified]" in shown
    fraction = [line for line in shown.splitlines() if line.endswith("*sigma'(z)*x_j")]
    above, row, below = shown.splitlines()[shown.splitlines().index(fraction[0]) - 1 :][:3]
    assert above.rfind("\\") == row.rfind("|") == below.rfind("/") > 0  # the bracket lines up


def test_the_choice_of_ascii_does_not_stay_with_sympy(sp):
    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode

    from xentlab.experiments.derive_documents import pretty_equation
    from xentlab.experiments.derive_neuron import ERROR, dC_db

    before = pretty_use_unicode()
    # (the name is left to the terminal's fallback: ∂ shows as d)
    assert pretty_equation(dC_db, "=", ERROR, unicode=False) == "∂C/∂b = sigma(z) - y"
    assert pretty_equation(dC_db, "=", ERROR) == "∂C/∂b = σ(z) - y"
    assert pretty_use_unicode() == before


def test_the_report_knows_whether_sympy_is_there(monkeypatch):
    from xentlab.experiments.derive_choices import sympy_available

    monkeypatch.setitem(sys.modules, "sympy", None)
    assert not sympy_available()
