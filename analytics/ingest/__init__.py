"""Uploads: read (formats, encodings, survey-tool exports), map, validate, load.

- :mod:`analytics.ingest.read`: any CSV/XLSX upload → one UTF-8 CSV with one header row
  (:func:`~analytics.ingest.read.prepare`) and a string sample of it.
- :mod:`analytics.ingest.mapping`: source columns → canonical columns of metrics.md §2,
  suggested automatically and saved as JSON.
- :mod:`analytics.ingest.likert`: rating scales, text Likert answers and missing codes.

Modules starting with ``_`` are their private helpers.
"""
