"""swap_engine.studies.search_evidence: SWAP-NAS against random search on NB201, as the Markdown report."""
from __future__ import annotations

from tests.test_search import _real_nb201


def test_evidence_report_on_a_tiny_budget():
    _real_nb201()
    from swap_engine.studies.search_evidence import search_evidence

    text = search_evidence(seeds=1, budget=3, population=2, sample_size=1, batch_size=4, regularize=(1000, 1e6))
    assert "| space optimum | 94.37 | 73.51 | 47.31 |" in text
    assert "SWAP-NAS, regularised SWAP (mu=1000, sigma=1000000) fitness" in text
    assert text.count("\n| SWAP | 0 | `\\|") == 1  # per-seed rows, pipes escaped for Markdown
