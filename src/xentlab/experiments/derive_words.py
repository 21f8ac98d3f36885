"""The words of ``xentlab derive``'s documents, in English and Chinese, and how a file it
wrote is recognised (so that it may be replaced without --force): light, without SymPy, so the
command line can check its output file before any work."""

from __future__ import annotations

from ..files import register_output_kind

WORDS = {
    "en": {
        "title": "The article's algebra, checked by SymPy",
        "intro": "Every step below is computed by SymPy: ✓ marks a step it verified, each named "
        "quantity replaced by its definition (∂C/∂w_j by SymPy's derivative of C, σ(z) by "
        "1/(1 + e^(−z)), σ'(z) by the derivative of that).",
        "given": "Given:",
        "and": " and ",
        "verified": "✓ verified",
        "unverified": "✗ not verified by SymPy",
        "how": "check",
        "numeric": "Numeric check against {against}: {points} seeded random points, worst "
        "relative difference {worst:.1e} ({verdict} {tolerance:.0e})",
        "within": "below",
        "beyond": "NOT below",
        "none": "No numeric check.",
    },
    "zh": {
        "title": "文章中的推导，由 SymPy 验证",
        "intro": "下面每一步都由 SymPy 计算：✓ 表示 SymPy 已验证该步，每个记号都替换为其定义"
        "（∂C/∂w_j 为 SymPy 对 C 求出的导数，σ(z) 为 1/(1 + e^(−z))，σ'(z) 为其导数）。",
        "given": "已知：",
        "and": "、",
        "verified": "✓ 已验证",
        "unverified": "✗ SymPy 未能验证",
        "how": "检验",
        "numeric": "与 {against} 的数值比较：{points} 个带种子的随机点，最大相对误差 "
        "{worst:.1e}（{verdict} {tolerance:.0e}）",
        "within": "小于",
        "beyond": "未小于",
        "none": "无数值比较。",
    },
}


def written_as_derivation(head: bytes, tail: bytes) -> bool:
    """Whether a file is a derivation xentlab wrote: its first line is the title (text), or
    the title after '# ' (Markdown) or '% ' (LaTeX), in one of its languages."""
    first = head[:300].decode("utf-8", errors="replace").split("\n", 1)[0]
    return any(
        first in (words["title"], f"# {words['title']}", f"% {words['title']} (xentlab derive)")
        for words in WORDS.values()
    )


register_output_kind("derivation", written_as_derivation)
