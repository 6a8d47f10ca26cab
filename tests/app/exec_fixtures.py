"""A thin database for the executive pages: two units, four months (through the loader)."""

from __future__ import annotations

import json

import pytest

from analytics.demo import company as demo
from analytics.ingest.mapping import Mapping
from analytics.ingest.pipeline import ingest_file


def _mapping(frame, dataset: str) -> Mapping:
    """The identity mapping of a canonical file, every rating on 1-5."""
    scales = {c: [1, 5] for c in frame.columns if c.startswith("item:")}
    if dataset in ("employee", "customer"):
        scales["esat" if dataset == "employee" else "csat"] = [1, 5]
    return Mapping.from_json(json.dumps({"columns": {c: c for c in frame.columns},
                                         "scales": scales, "date_format": "%Y-%m-%d"}))


@pytest.fixture
def thin_db(tiny_duck, tmp_path):
    """tiny_duck holding a made-up company of 2 units x 4 months: too little for statistics."""
    frames = demo.generate(seed=3, n_units=2, n_months=4)
    for dataset in ("units", "employee", "customer", "financials"):
        path = tmp_path / f"thin_{dataset}.csv"
        frames[dataset].to_csv(path, index=False)
        result, _ = ingest_file(tiny_duck, path, dataset, _mapping(frames[dataset], dataset))
        assert result.status == "loaded", result.errors[:3]
    return tiny_duck
