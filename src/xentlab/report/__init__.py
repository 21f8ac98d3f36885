"""The report: the experiments' results as one HTML file or Markdown with PNGs, in English or
Chinese. ``build``: the documents; ``texts``: their words."""

from .build import REPORT_FORMATS, ReportInputs, write_html, write_markdown
from .texts import LANGUAGES

__all__ = ["LANGUAGES", "REPORT_FORMATS", "ReportInputs", "write_html", "write_markdown"]
