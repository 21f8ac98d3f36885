"""Figures in English or Chinese: the words come from one table per language (plots/labels.py),
the option from one declaration (settings.LANGUAGE); without a font that draws Chinese, the
figure is drawn in English and the command line says, in one line, how to get one."""

from __future__ import annotations

import re
import warnings

import pytest

from xentlab import settings
from xentlab.cli.commands import build_parser
from xentlab.cli.main import main
from xentlab.experiments import saturation_map, slowdown
from xentlab.plots import (
    LABELS,
    NO_CJK_FONT,
    figure_language,
    figure_words,
    saturation_figure,
    slowdown_figure,
)
from xentlab.plots import labels as labels_module

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def no_cjk_font(monkeypatch):
    monkeypatch.setattr(labels_module, "cjk_font", lambda: None)


@pytest.fixture
def some_cjk_font(monkeypatch):
    """A font for the lookup to find: the machine's CJK font, or, without one, a name that
    lets the labels be tested (nothing here is drawn; what a CJK font draws is another
    test's)."""
    found = labels_module.cjk_font()
    monkeypatch.setattr(labels_module, "cjk_font", lambda: found or "DejaVu Sans")


def texts_of(figure) -> list[str]:
    """Every text the figure shows: titles, axis labels, legends, annotations."""
    from matplotlib.text import Text

    return [t.get_text() for t in figure.findobj(Text) if t.get_text()]


def test_both_languages_label_the_same_things():
    assert set(LABELS["zh"]) == set(LABELS["en"])
    for key, english in LABELS["en"].items():  # the same values to fill in
        assert re.findall(r"{\w+}", LABELS["zh"][key]) == re.findall(r"{\w+}", english), key
        assert not CJK.search(english), key


def test_the_chinese_labels_come_from_the_table(some_cjk_font):
    with figure_words("zh") as words:
        assert words.lang == "zh" and words.table is LABELS["zh"]
        assert words["epoch"] == "回合"
        assert words.cost("cross-entropy") == "交叉熵"
        assert words.cost("quadratic/linear") == "二次代价/线性"
    grid = saturation_map(points=5, epochs=20)
    figure = saturation_figure(grid, lang="zh")
    shown = texts_of(figure)
    slow = f"{grid.slow_fraction('quadratic'):.0%}"
    assert LABELS["zh"]["map title"].format(cost="二次代价", slow=slow) in shown
    assert LABELS["zh"]["starting weight"] in shown and LABELS["zh"]["starting bias"] in shown


def test_without_a_cjk_font_the_figure_is_english_and_says_so(no_cjk_font):
    language = figure_language("zh")
    assert (language.asked, language.lang, language.font) == ("zh", "en", None)
    assert language.note == NO_CJK_FONT
    assert figure_language("en").note is None
    shown = texts_of(slowdown_figure(slowdown(epochs=10), lang="zh"))
    assert LABELS["en"]["steepest fall"] in shown
    assert not any(CJK.search(text) for text in shown)


def test_the_command_prints_the_note_once_without_a_cjk_font(
    no_cjk_font, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main(["slowdown", "--epochs", "10", "--lang", "zh", "--out", "s.png"]) == 0
    err = capsys.readouterr().err
    assert err.splitlines().count(NO_CJK_FONT) == 1
    assert (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")
    assert main(["slowdown", "--epochs", "10", "--out", "e.png"]) == 0  # English: no note
    assert NO_CJK_FONT not in capsys.readouterr().err


def test_a_figure_language_not_offered_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["saturation", "--lang", "fr", "--out", "m.png"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--lang" in err and len(err.splitlines()) == 1 and not (tmp_path / "m.png").exists()
    # the neuron's --lang names the figure's words: without a figure it would do nothing
    assert main(["neuron", "--epochs", "3", "--lang", "zh"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--plot" in err and len(err.splitlines()) == 1


def test_every_command_offers_the_one_declaration_of_the_language():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    offering = {
        name
        for name, command in commands.items()
        if any("--lang" in a.option_strings for a in command._actions)
    }
    assert offering == settings.LANGUAGE.offered - {"derivation view"}
    for name in offering:
        (lang,) = [a for a in commands[name]._actions if "--lang" in a.option_strings]
        assert list(lang.choices) == ["en", "zh"] and lang.default == settings.LANGUAGE.default
        assert lang.help == settings.LANGUAGE.help


@pytest.mark.cjk
def test_with_a_cjk_font_the_figure_is_drawn_in_chinese_without_a_warning(tmp_path):
    labels_module.cjk_font.cache_clear()
    language = figure_language("zh")
    assert language.lang == "zh" and language.font is not None and language.note is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a warning: none may come
        figure = slowdown_figure(slowdown(epochs=10), lang="zh")
        shown = texts_of(figure)
        figure.savefig(tmp_path / "s.png")
    assert LABELS["zh"]["steepest fall"] in shown and "交叉熵" in shown
    chinese = [
        t for t in figure.findobj() if hasattr(t, "get_fontfamily") and CJK.search(t.get_text())
    ]
    assert chinese and all(language.font in t.get_fontfamily() for t in chinese)


def test_the_sweep_figures_take_the_chinese_labels_too(some_cjk_font):
    from xentlab import sweeps
    from xentlab.plots import book_figure

    rows = sweeps.book_rows([], {})  # the book's networks, none run: the book's figures alone
    shown = texts_of(book_figure(rows, lang="zh"))
    assert LABELS["zh"]["book axis"] in shown and LABELS["zh"]["not in this sweep"] in shown
    assert any(text.startswith(LABELS["zh"]["book suptitle"]) for text in shown)
    assert not any(LABELS["en"]["book axis"] == text for text in shown)
