"""Proxy recipes: a language for combining atlas columns into one ranking, and an honest way to choose one.

    Recipe.parse("log_rank:swap_b16+params").score(frame)   # one score per row of any atlas frame
    choose(frame, truth, fit_rows)                           # the best recipe on those rows' truth only

- `language`: `Term`, `Recipe` (text form, columns, score), `proxy_columns`, `spearman`, AZ-NAS's own
  recipe `AZ_NAS`, VKDNW's `VKDNW_AGG` and the `named_recipes` the Proxy lab starts from;
- `scorer`: `Scorer`, what scores every row of an atlas frame (key, label, score(frame)): a `Recipe`, or a
  predictor fitted on k labels;
- `choosing`: `choose` (forward selection and weights, by Spearman or `expected_best_of` a search budget),
  `greedy` (the same search for any objective), `candidate_terms`, `halves` (the seeded fitting and reporting
  halves).

Pure: numpy, pandas, scipy and `swap_engine.analysis`, no atlas files and no scoring. The studies that use
recipes (the recipe study, transfer, search evidence) are in `swap_engine.studies`.
"""
from swap_engine.recipe.choosing import (OBJECTIVES, SEARCH_BUDGET, WEIGHTS, Choice, candidate_terms, choose,
                                         expected_best_of, greedy, halves)
from swap_engine.recipe.language import (AZ_NAS, CHOICE_LABELS, CHOICES_FILE, NON_FINITE, NOT_PROXIES, VKDNW_AGG,
                                         NonFinite, Recipe, Term, named_recipes, ordered, proxy_columns, spearman,
                                         with_non_finite)
from swap_engine.recipe.scorer import Scorer, reads

__all__ = ["AZ_NAS", "CHOICES_FILE", "CHOICE_LABELS", "NON_FINITE", "NOT_PROXIES", "OBJECTIVES", "SEARCH_BUDGET",
           "VKDNW_AGG", "WEIGHTS", "Choice", "NonFinite", "Recipe", "Scorer", "Term", "candidate_terms", "choose",
           "expected_best_of", "greedy", "halves", "named_recipes", "ordered", "proxy_columns", "reads", "spearman",
           "with_non_finite"]
