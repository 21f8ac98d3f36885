"""Tables for a terminal: every table the CLI prints fits 80 columns and never cuts a cell.

A :class:`FittedTable` is declared once (a title above, its :class:`Column` s, rows of
strings, a legend below) and lays itself out when it is printed, within the console's width
and at most :data:`TABLE_WIDTH` columns (so a table reads the same on a terminal and in a
file), trying in turn:

1. every column as wide as its widest cell, each header on one line;
2. headers wrapped, the widest first; if that is not enough, the cells of the columns that
   declare where they may break, broken there ("95.31% -" over "95.62%");
3. the columns split into several tables, one under the other, each repeating the columns
   declared ``key`` (the cost, say), so that every row can still be read.

Text is wrapped here, not by rich: a cell only where its column allows, and a header, title or
legend only between words, where a bracketed group such as "(w, b)" counts as one word and a
phrase ending in a comma, colon or semicolon is kept whole where it can be ("η = 0.15" on one
line). No column is narrower than its widest unbreakable piece, so a cost name or a number is
never cut short ("cross…") nor broken over two lines. A table that cannot fit even one column
beside its keys (on a very narrow terminal) is drawn wider than the terminal rather than cut.
On a terminal that cannot print Unicode the text is made ASCII (η becomes eta) before it is
measured, so the columns still line up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from .text import to_ascii

TABLE_WIDTH = 80
# What a boxed table adds to its columns' contents: a border before each column and after
# the last, and one space either side of each cell.
BORDER = 1
PADDING = 2
PHRASE_ENDS = (",", ":", ";")


@dataclass(frozen=True)
class Column:
    """One column: its header, how its cells align, whether it is repeated in every part when
    the table is split (``key``), and where its cells may be broken into lines: at the space
    in ``breaks`` ("- " breaks "95.31% - 95.62%" after the dash, " (" before a bracket;
    "": nowhere)."""

    header: str
    justify: Literal["left", "center", "right"] = "right"
    key: bool = False
    breaks: str = ""

    def __post_init__(self) -> None:
        if self.breaks and self.breaks.count(" ") != 1:
            raise ValueError(f"breaks must hold one space, where a cell breaks: {self.breaks!r}")

    def pieces(self, line: str) -> list[str]:
        """One line of a cell, cut at every place it may break."""
        found, start = [], 0
        at = line.find(self.breaks) if self.breaks else -1
        while at >= 0:
            cut = at + self.breaks.index(" ")
            found.append(line[start:cut])
            start = cut + 1
            at = line.find(self.breaks, start)
        return [*found, line[start:]]

    def cell_lines(self, cell: str, width: int) -> str:
        """The cell within ``width``: each line's pieces joined again where they fit."""
        lines: list[str] = []
        for line in cell.split("\n"):
            joined: list[str] = []
            for piece in self.pieces(line):
                if joined and cell_len(f"{joined[-1]} {piece}") <= width:
                    joined[-1] = f"{joined[-1]} {piece}"
                else:
                    joined.append(piece)
            lines += joined
        return "\n".join(lines)


def words(line: str) -> list[str]:
    """The words of one line: split at spaces, except inside brackets, so "(0.6, 0.9)" or
    "[784, 30, 10]" is one word."""
    found, current, depth = [], "", 0
    for char in line:
        if char == " " and depth == 0:
            if current:
                found.append(current)
            current = ""
            continue
        current += char
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
    if current:
        found.append(current)
    return found


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells where its words allow, its own line breaks
    kept. A line is filled word by word, but breaks after a phrase (a word ending in a comma,
    colon or semicolon) rather than leave a few words of the next one at its end ("η =" apart
    from "0.15"). A word wider than ``width`` is split at its inner spaces if it has any, else
    left whole on a line of its own."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        pieces = (
            piece
            for word in words(paragraph)
            for piece in ([word] if cell_len(word) <= width else word.split(" "))
        )
        for piece in pieces:
            if line and cell_len(" ".join([*line, piece])) > width:
                ends = [i for i, word in enumerate(line[:-1]) if word.endswith(PHRASE_ENDS)]
                tail = line[ends[-1] + 1 :] if ends else []
                short = cell_len(" ".join(tail)) <= width // 4
                if tail and short and cell_len(" ".join([*tail, piece])) <= width:
                    lines.append(" ".join(line[: len(line) - len(tail)]))
                    line = tail
                else:
                    lines.append(" ".join(line))
                    line = []
            line.append(piece)
        lines.append(" ".join(line))
    return lines


def _widest_line(text: str) -> int:
    return max(cell_len(line) for line in text.split("\n"))


def _widest_word(text: str) -> int:
    return max((cell_len(w) for line in text.split("\n") for w in words(line)), default=0)


@dataclass(frozen=True)
class _Extent:
    """A column's content widths: ``natural`` (nothing wrapped), ``snug`` (only the header
    wrapped) and ``least`` (the header and the cells broken wherever they may be)."""

    natural: int
    snug: int
    least: int


def _extent(column: Column, cells: Sequence[str]) -> _Extent:
    header_word = _widest_word(column.header)
    cell_lines = max((_widest_line(cell) for cell in cells), default=0)
    pieces = [
        cell_len(p) for cell in cells for line in cell.split("\n") for p in column.pieces(line)
    ]
    snug = max(header_word, cell_lines, 1)
    return _Extent(
        natural=max(_widest_line(column.header), snug),
        snug=snug,
        least=max([header_word, *pieces, 1]),
    )


def table_width(widths: Sequence[int]) -> int:
    """The width a boxed table with columns of these content widths takes."""
    return sum(widths) + PADDING * len(widths) + BORDER * (len(widths) + 1)


def split_columns(columns: Sequence[Column], least: Sequence[int], width: int) -> list[list[int]]:
    """The columns (by index) of each table a table is split into so that each fits ``width``:
    all of them if they fit, else the keys and as many of the other columns, in order, as fit
    beside them (at least one each)."""
    everything = list(range(len(columns)))
    if table_width(least) <= width:
        return [everything]
    keys = [i for i in everything if columns[i].key]
    parts: list[list[int]] = []
    current: list[int] = []
    for i in everything:
        if columns[i].key:
            continue
        if current and table_width([least[j] for j in keys + current + [i]]) > width:
            parts.append(sorted(keys + current))
            current = []
        current.append(i)
    if current or not parts:
        parts.append(sorted(keys + current))
    return parts


def fit_widths(extents: Sequence[_Extent], width: int) -> list[int]:
    """Content widths for these columns within ``width``: natural where there is room; else
    headers wrapped, the widest first, down to snug; then, if that is not enough, the cells of
    every column that may break, broken at every place they may (all of them alike: columns
    of one kind look alike)."""
    widths = [e.natural for e in extents]
    while table_width(widths) > width:
        narrowable = [i for i, w in enumerate(widths) if w > extents[i].snug]
        if not narrowable:
            return [min(w, e.least) for w, e in zip(widths, extents, strict=True)]
        widths[max(narrowable, key=lambda i: (widths[i], i))] -= 1
    return widths


class FittedTable:
    """A table that fits :data:`TABLE_WIDTH` columns (see the module's description); rich
    prints it like any table: ``console.print(table)``."""

    def __init__(self, title: str, columns: Sequence[Column], legend: Sequence[str] = ()) -> None:
        self.title = title
        self.columns = tuple(columns)
        self.legend = list(legend)
        self.rows: list[tuple[str, ...]] = []

    def add_row(self, *cells: str) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"a row needs {len(self.columns)} cells, not {len(cells)}")
        self.rows.append(tuple(cells))

    def layout(self, width: int) -> list[list[tuple[int, int]]]:
        """The tables this one is printed as within ``width`` columns: for each, the (index,
        content width) of each of its columns."""
        extents = [
            _extent(column, [row[i] for row in self.rows]) for i, column in enumerate(self.columns)
        ]
        parts = split_columns(self.columns, [e.least for e in extents], width)
        return [
            list(zip(part, fit_widths([extents[i] for i in part], width), strict=True))
            for part in parts
        ]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.ascii_only:  # η is "eta" on such a terminal: measure it as it will be shown
            shown = FittedTable(
                to_ascii(self.title),
                [Column(to_ascii(c.header), c.justify, c.key, c.breaks) for c in self.columns],
                [to_ascii(line) for line in self.legend],
            )
            shown.rows = [tuple(map(to_ascii, row)) for row in self.rows]
            yield from shown._render(console, options)
        else:
            yield from self._render(console, options)

    def _render(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = min(options.max_width, TABLE_WIDTH)
        parts = self.layout(width)
        if self.title:
            yield _paragraph(self.title, "table.title", width)
        for part in parts:
            table = Table(box=box.HEAVY_HEAD)
            for i, content_width in part:
                column = self.columns[i]
                table.add_column(
                    "\n".join(wrap(column.header, content_width)),
                    justify=column.justify,
                    width=content_width,
                    no_wrap=True,  # wrapped here already, between words: every line fits
                    overflow="fold",
                )
            for row in self.rows:
                table.add_row(*(self.columns[i].cell_lines(row[i], w) for i, w in part))
            # Drawn at its own width even where the console is narrower: wider, never cut.
            yield from console.render(
                table, options.update(width=table_width([w for _, w in part]))
            )
        for line in self.legend:
            yield _paragraph(line, "table.caption", width)


def _paragraph(text: str, style: str, width: int) -> Text:
    """Text wrapped at ``width`` between phrases or words, on any console."""
    return Text("\n".join(wrap(text, width)), style=style, no_wrap=True, overflow="ignore")
