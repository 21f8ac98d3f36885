"""The figures' words, one table per language (settings.LANGUAGE), and the font that draws them.

Chinese labels use the terms of the article's Chinese rendering (代价函数, 二次代价, 交叉熵,
权重, 偏置, 回合, 小批量数据, 饱和, 准确率). They are drawn only where Matplotlib finds a font
with CJK glyphs (Debian's fonts-noto-cjk); elsewhere a figure asked for in Chinese is drawn in
English, and :func:`figure_language` says so, for the front end to tell the user: a figure of
empty boxes, or Matplotlib's missing-glyph warnings, would help nobody.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib
from matplotlib import font_manager

from ..settings import LANGUAGE

# Fonts with the CJK glyphs, best first (fonts-noto-cjk on Debian/Ubuntu, then other systems').
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)
# Latin letters, Greek (σ, η) and mathematical signs (∂, ‖, −) come from this font first; the
# CJK font draws only what it lacks (Matplotlib's per-glyph fallback).
LATIN_FONT = "DejaVu Sans"
NO_CJK_FONT = (
    "no CJK font found: figures in English; install one (Debian/Ubuntu: apt-get install "
    "fonts-noto-cjk)"
)

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "quadratic": "quadratic",
        "cross-entropy": "cross-entropy",
        "log-likelihood": "log-likelihood",
        "linear": "linear",
        "epoch": "epoch",
        "cost C": "cost C",
        "output a": "output a",
        "neuron title": "{cost}, η = {eta}, start (w, b) = ({w}, {b})",
        "neuron suptitle": "one neuron from (w, b) = ({w}, {b}), x = {x}, y = {y}, η = {eta}: "
        "cost C (solid, left axis) and output a (dotted, right axis)",
        "article rates": "the article's rates",
        "common rate": "one common rate",
        "relative cost": "cost relative to its start, C(t) / C(0)",
        "output target": "output a  (target y = 0)",
        "output target cut": "output a, target y = 0 (cut at 1)",
        "start": "start (w, b) = ({w}, {b})",
        "steepest fall": "steepest fall",
        "slowdown suptitle": "One neuron, x = 1, y = 0: the quadratic cost starts slowly when a "
        "sigmoid's a saturates\n(at the article's rates cross-entropy's η is 30 times smaller: "
        "that, not the cost, is why it looks slower on the left)",
        "map title": "{cost}:\n{slow} of starts need > 100 epochs",
        "starting weight": "starting weight w",
        "starting bias": "starting bias b",
        "map bar": "epochs until |a − y| < {threshold} (grey: not within {epochs})",
        "map suptitle": "One neuron, x = {x}, y = {y}, η = {eta}: where the quadratic cost is "
        "slow, the neuron starts saturated and wrong",
        "epochs needed": "{epochs} epochs",
        "not within": "not within {epochs} epochs",
        "saturated wrong": "{cost}: saturated, wrong",
        "saturated": "{cost}: saturated",
        "layer": "{cost}: layer {layer}",
        "output layer": "{cost}: layer {layer} (output)",
        "validation accuracy": "validation accuracy (%)",
        "relative training cost": "training cost C / C at the start (probe sample)",
        "saturated share": "output pairs with σ'(z) < 0.01 (%)",
        "gradient norm": "‖∂C/∂W‖ per layer",
        "mini-batches": "mini-batches (log scale above {linear_until})",
        "mini-batches, epochs": "mini-batches (log scale above {linear_until}; dotted: the end "
        "of each epoch)",
        "epoch mark": "epoch {epoch}",
        "seed": "seed {seeds}",
        "seeds": "seeds {seeds}",
        "over seeds": "lines: the median over the seeds, bands: their range (the gradient norms: "
        "medians)",
        "learning rate": "learning rate η",
        "sweep accuracy": "test accuracy (%), mean ± sd over seeds",
        "best setting": "best setting",
        "every seed diverged": "{cost}: every seed diverged",
        "sweep suptitle": "Test accuracy after the last epoch against η, {seeds} per point "
        "(dots), mean ± sd",
        "seed count": "{count} seed",
        "seed counts": "{count} seeds",
        "xentlab median": "xentlab {accuracy}",
        "no run finished": "xentlab: no run finished",
        "not in this sweep": "xentlab: not in this sweep",
        "book accuracy": "book {accuracy} ({where})",
        "book axis": "test accuracy after the last epoch (%)",
        "each seed": "xentlab, each seed",
        "median": "xentlab, median",
        "the book": "the book (one run)",
        "book suptitle": "The book's results beside xentlab's",
        "xentlab settings": "xentlab: {settings}",
        "ran none": "xentlab ran none of them",
        "book settings": "the book: {settings}",
        "hidden": "hidden {sizes}",
        "compare suptitle": "{sizes} on {dataset}, init {init}, mini-batch {batch}, {seeds}: the "
        "same start and mini-batches under each cost",
    },
    "zh": {
        "quadratic": "二次代价",
        "cross-entropy": "交叉熵",
        "log-likelihood": "对数似然",
        "linear": "线性",
        "epoch": "回合",
        "cost C": "代价 C",
        "output a": "输出 a",
        "neuron title": "{cost}，η = {eta}，起点 (w, b) = ({w}, {b})",
        "neuron suptitle": "一个神经元，起点 (w, b) = ({w}, {b})，x = {x}，y = {y}，η = {eta}："
        "代价 C（实线，左轴）和输出 a（点线，右轴）",
        "article rates": "文章中的学习率",
        "common rate": "相同的学习率",
        "relative cost": "相对于起点的代价 C(t) / C(0)",
        "output target": "输出 a（目标 y = 0）",
        "output target cut": "输出 a，目标 y = 0（截于 1）",
        "start": "起点 (w, b) = ({w}, {b})",
        "steepest fall": "下降最快处",
        "slowdown suptitle": "一个神经元，x = 1，y = 0：sigmoid 的输出 a 饱和时，"
        "二次代价起初学习缓慢\n"
        "（文章中交叉熵的 η 小 30 倍：左图中它显得更慢是因为这个，而不是代价函数）",
        "map title": "{cost}：\n{slow} 的起点需要超过 100 个回合",
        "starting weight": "初始权重 w",
        "starting bias": "初始偏置 b",
        "map bar": "直到 |a − y| < {threshold} 的回合数（灰色：{epochs} 个回合内未达到）",
        "map suptitle": "一个神经元，x = {x}，y = {y}，η = {eta}：二次代价学得慢的地方，"
        "神经元起初饱和且错误",
        "epochs needed": "{epochs} 个回合",
        "not within": "{epochs} 个回合内未达到",
        "saturated wrong": "{cost}：饱和且错误",
        "saturated": "{cost}：饱和",
        "layer": "{cost}：第 {layer} 层",
        "output layer": "{cost}：第 {layer} 层（输出层）",
        "validation accuracy": "验证集准确率 (%)",
        "relative training cost": "训练代价 C / 起点的 C（探测样本）",
        "saturated share": "σ'(z) < 0.01 的输出对 (%)",
        "gradient norm": "每层的 ‖∂C/∂W‖",
        "mini-batches": "小批量数据（{linear_until} 以上为对数刻度）",
        "mini-batches, epochs": "小批量数据（{linear_until} 以上为对数刻度；点线：每个回合的结束）",
        "epoch mark": "第 {epoch} 回合",
        "seed": "种子 {seeds}",
        "seeds": "种子 {seeds}",
        "over seeds": "线：各种子的中位数，带：其范围（梯度范数：中位数）",
        "learning rate": "学习率 η",
        "sweep accuracy": "测试准确率 (%)，各种子的均值 ± 标准差",
        "best setting": "最佳设置",
        "every seed diverged": "{cost}：每个种子都发散",
        "sweep suptitle": "最后一个回合后的测试准确率与 η 的关系，每点 {seeds}（圆点），"
        "均值 ± 标准差",
        "seed count": "{count} 个种子",
        "seed counts": "{count} 个种子",
        "xentlab median": "xentlab {accuracy}",
        "no run finished": "xentlab：没有完成的训练",
        "not in this sweep": "xentlab：不在本次扫描中",
        "book accuracy": "书中 {accuracy}（{where}）",
        "book axis": "最后一个回合后的测试准确率 (%)",
        "each seed": "xentlab，每个种子",
        "median": "xentlab，中位数",
        "the book": "书中（一次训练）",
        "book suptitle": "书中的结果与 xentlab 的结果",
        "xentlab settings": "xentlab：{settings}",
        "ran none": "xentlab 一个也没有训练",
        "book settings": "书中：{settings}",
        "hidden": "隐藏层 {sizes}",
        "compare suptitle": "{sizes}，数据集 {dataset}，初始化 {init}，小批量数据大小 {batch}，"
        "{seeds}：每种代价函数下起点和小批量数据都相同",
    },
}


@dataclass(frozen=True)
class Words:
    """One language's labels: ``words["epoch"]``, ``words.cost("quadratic/linear")``."""

    lang: str
    table: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.table[key]

    def cost(self, label: str) -> str:
        """A cost, or a contender COST/OUTPUT, named in this language; an unknown one as is."""
        return "/".join(self.table.get(part, part) for part in label.split("/"))


@dataclass(frozen=True)
class FigureLanguage:
    """The language figures are drawn in: ``asked`` by the user, ``lang`` drawn, and the CJK
    font that draws it (None for English). ``note``: what the front end should tell the user,
    when the figures are not in the language asked for."""

    asked: str
    lang: str
    font: str | None

    @property
    def note(self) -> str | None:
        return NO_CJK_FONT if self.lang != self.asked else None


@functools.cache
def cjk_font() -> str | None:
    """The first of CJK_FONTS that Matplotlib's font manager knows, or None."""
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in known), None)


def figure_language(lang: str = LANGUAGE.default) -> FigureLanguage:
    """The language figures asked for in ``lang`` (en or zh) are drawn in: Chinese where a
    CJK font is found, else English (and a note saying why)."""
    lang = LANGUAGE.check(lang)
    if lang == "en":
        return FigureLanguage(lang, lang, None)
    font = cjk_font()
    return FigureLanguage(lang, lang if font is not None else "en", font)


@contextmanager
def figure_words(lang: str = LANGUAGE.default) -> Iterator[Words]:
    """The labels a figure is drawn with, in ``lang`` where a font can draw it (see
    :func:`figure_language`); inside, the text Matplotlib creates takes the CJK font as its
    fallback (each text keeps its font: the figure may be saved after)."""
    language = figure_language(lang)
    families = [LATIN_FONT, language.font] if language.font else None
    with matplotlib.rc_context({"font.family": families} if families else None):
        yield Words(language.lang, LABELS[language.lang])
