"""The studies: proxies and recipes measured against trained accuracy, each with the report it writes.

- `correlation`: score a benchmark's architectures with proxies through the runner, Spearman/Kendall with
  bootstrap intervals per proxy and target (`python -m swap_engine study`);
- `recipe_study`: a recipe chosen on one half of NB201's atlas and reported on the other, the atlas as the
  studies read it (`atlas`, `with_targets`) (`python -m swap_engine recipe`); `recipe_report` lays it out;
- `transfer`: a chosen recipe applied unchanged to another benchmark's cells;
- `recipe_fitness`: any atlas column or recipe as a search fitness (looked up, or computed live);
- `search_evidence`: evolution against random search with those fitnesses, and SWAP-NAS's own;
- `families`: every benchmark's atlas at once: each one's recipe on held-out halves, leave-one-benchmark-out,
  the transfer matrix (`python -m swap_engine families`).
- `split`: fit on these rows, report on those (`Split`: halves, an inner split, k labelled rows per seeded draw),
  the one step every study above and the Correlation page's regularisation fit draw their rows from;
- `alone`: each proxy alone against a target (`each_alone`), for the lab, the families study and Correlation;
- `reading`: a recipe read on one atlas (every cell or a half), the one way the Proxy lab, the transfer matrix and
  `swap-explorer lab` read it; `bootstrap`: one metric with its interval, and the paired test of two recipes;
- `published`: this round's goals and the published numbers (sample_data/published.json), read by the report
  writers only.

They sit above everything they measure: the recipe language (`swap_engine.recipe`), the search
(`swap_engine.search`), the atlas, the runner and the data; nothing below imports them.
"""
