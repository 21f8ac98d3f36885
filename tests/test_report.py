"""The report: one self-contained HTML file (or Markdown with PNGs), every section and figure
present, nothing fetched from elsewhere, in English or Chinese."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import pytest

from xentlab.cli.main import main
from xentlab.experiments import CompareSpec, compare, saturation_map, slowdown
from xentlab.report.build import ReportInputs, write_html, write_markdown

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def inputs():
    return ReportInputs(
        slowdown=slowdown(epochs=100),
        saturation=saturation_map(points=41, epochs=100),
        comparison=compare(CompareSpec.of(init="saturated", epochs=2)),
        settings={"compare": "xentlab compare --init saturated --epochs 2"},
    )


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize(("lang", "words"), [("en", "The saturation map"), ("zh", "饱和图")])
def test_the_html_report_is_self_contained(tmp_path, inputs, lang, words):
    write_html(tmp_path / "r.html", inputs, lang)
    page = Collect()
    page.feed((tmp_path / "r.html").read_text(encoding="utf-8"))
    tags = [tag for tag, _ in page.tags]
    assert tags.count("h2") == 5 and tags.count("img") == 3 and "table" in tags
    assert "script" not in tags and "link" not in tags
    for _tag, attrs in page.tags:
        for key in ("src", "href"):
            if key in attrs:
                assert attrs[key].startswith("data:image/png;base64,"), attrs[key][:40]
                figure = base64.b64decode(attrs[key].split(",", 1)[1])
                assert figure.startswith(PNG) and len(figure) > 20_000
    text = " ".join(page.text)
    assert words in text and "σ'(z)" in text and "xentlab 0.1.0" in text
    assert "cross-entropy" in text and "quadratic" in text  # the headline table


def test_the_markdown_report_has_its_figures_beside_it(tmp_path, inputs):
    figures = write_markdown(tmp_path / "r.md", inputs, "en")
    assert [f.name for f in figures] == ["r-slowdown.png", "r-saturation.png", "r-compare.png"]
    document = (tmp_path / "r.md").read_text(encoding="utf-8")
    for figure in figures:
        assert figure.read_bytes().startswith(PNG)
        assert f"]({figure.name})" in document
    assert document.count("\n## ") == 5 and "| cost |" in document
    # The quadratic runs never reach 80% in their 216 mini-batches: counted, not skipped.
    assert "| quadratic | > 216 | > 216 | > 216 |" in document
    assert "within the 216 mini-batches it trained counts as needing more" in document


def test_the_report_command_refuses_bad_requests_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--lang", "fr"]) == 2
    assert main(["report", "--out", "/dev/null"]) == 2
    assert list(tmp_path.iterdir()) == []


def test_a_report_replaces_a_report_but_never_a_file_of_the_users(tmp_path, inputs):
    from xentlab.errors import XentlabError
    from xentlab.files import written_by_xentlab

    for lang in ("en", "zh", "en"):  # a report in either language replaces the other
        write_html(tmp_path / "r.html", inputs, lang)
        write_markdown(tmp_path / "r.md", inputs, lang)
    assert written_by_xentlab(tmp_path / "r.html", "report")
    assert written_by_xentlab(tmp_path / "r.md", "report")
    mine = tmp_path / "mine.html"
    mine.write_text("<!DOCTYPE html><html><title>my page</title></html>\n")
    with pytest.raises(XentlabError, match="mine.html: it exists and is not a report file"):
        write_html(mine, inputs, "en")
    assert mine.read_text() == "<!DOCTYPE html><html><title>my page</title></html>\n"
    write_html(mine, inputs, "en", force=True)
    assert written_by_xentlab(mine, "report")


def test_the_settings_are_commands_that_give_the_same_results_again(tmp_path):
    """Each result's command, split as a shell splits it, parses to the settings the result was
    computed with: the data folder of the comparison included, so that it works when copied."""
    import shlex

    from xentlab.cli.commands import build_parser
    from xentlab.cli.commands.report import report_commands

    data = tmp_path / "my data"
    spec = CompareSpec.of(dataset="mnist", data_dir=data, init="saturated", epochs=2, seeds=(1, 2))
    runs = slowdown(epochs=40, common_eta=0.3)
    grid = saturation_map(points=21, limit=4.0, eta=0.2, epochs=50)
    commands = report_commands(runs, grid, spec)
    parsed = {}
    for name, command in commands.items():
        words = shlex.split(command)
        assert words[:2] == ["xentlab", name]
        parsed[name] = build_parser().parse_args(words[1:])
    assert (parsed["slowdown"].epochs, parsed["slowdown"].common_eta) == (40, 0.3)
    shown = parsed["saturation"]
    assert (shown.points, shown.limit, shown.eta, shown.epochs) == (21, 4.0, 0.2, 50)
    again = parsed["compare"]
    assert (again.dataset, again.data_dir, again.init) == ("mnist", str(data), "saturated")
    assert (again.epochs, again.seeds, again.eta) == (2, (1, 2), spec.eta)


def test_the_algebra_checked_by_sympy_is_a_section_or_a_line_saying_it_is_left_out(
    tmp_path, inputs
):
    """With SymPy, the derivations: MathML equations in HTML (no script), $$ LaTeX $$ in
    Markdown, each step marked; without it (no derivations given), one line saying so."""
    write_html(tmp_path / "none.html", inputs, "en")
    write_markdown(tmp_path / "none.md", inputs, "zh")
    assert "Left out: the derivation is checked by SymPy" in (tmp_path / "none.html").read_text()
    assert "此节从略" in (tmp_path / "none.md").read_text(encoding="utf-8")
    pytest.importorskip("sympy", reason="SymPy is not installed (pip install sympy)")
    import dataclasses

    from xentlab.experiments.derive import derive

    derived = dataclasses.replace(inputs, derivations=derive("cross-entropy", "neuron"))
    write_html(tmp_path / "r.html", derived, "en")
    page = Collect()
    page.feed((tmp_path / "r.html").read_text(encoding="utf-8"))
    tags = [tag for tag, _ in page.tags]
    assert tags.count("h2") == 5 and tags.count("h3") == 1 and "script" not in tags
    assert tags.count("math") == 3 + 10  # what is given, then each step
    text = " ".join(page.text)
    assert "4. The algebra, checked by SymPy" in text and text.count("✓ verified") == 10
    assert "Left out" not in text
    write_markdown(tmp_path / "r.md", derived, "zh")
    document = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "## 4. 由 SymPy 验证的推导" in document and "### 单个 sigmoid 神经元" in document
    assert document.count("$$ ") == 13 and document.count("✓ 已验证") == 10
