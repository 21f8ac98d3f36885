"""The report: the experiments' results as one HTML file or Markdown with PNGs, in English or
Chinese. ``build``: the documents (``write_html``, ``write_markdown``), which draws with
matplotlib; ``texts``: their words, languages and formats, light enough for the command line
to import at start."""
