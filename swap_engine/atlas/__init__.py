"""The proxy atlas: every proxy on every architecture of a benchmark, one wide table, read back in milliseconds.

    frame = atlas.load("nb201")   # one row per cell: nb201_index, arch, swap_b16, swap_layersum_b32, params ...
    frame = atlas.load("nb101-500")  # index, arch, swap_b64, naswot_b64, az_expressivity_b64 ...

Columns are `<proxy>_b<B>` where a batch size applies (`swap_b16`, `naswot_b64`) and `<proxy>` where none
does (`params`, `flops`); `<column>_seconds` is that proxy's seconds per cell (the SWAP variants of one
batch size share one pass, so only `swap_b<B>_seconds` exists). Missing values are NaN, never zero; a proxy
that cannot apply to a benchmark has no column, and `spec(name).absent` says why.

- `specs`: which atlases exist (`SPECS`), what each scores and how (`Spec`), the proxy groups (`GROUPS`);
- `cells`: each atlas's architectures, their seeded order, the runner jobs that fill it;
- `table`: the wide table from the runner's store, its parquet file, and records to resume from it;
- `truth`: `with_truth(name)`, the atlas joined with its benchmark's ground truth (the one join).
"""
from swap_engine.atlas.cells import cell_jobs, cell_order, cell_table, job_of, jobs
from swap_engine.atlas.specs import (FAMILIES, GROUPS, PROXY_BATCH_SIZE, SEED, SPECS, Group, Spec, of_space, settings,
                                     spec)
from swap_engine.atlas.table import (available, build, columns_of, coverage, load, load_file, measured_jobs, path,
                                     records, save, wide)
from swap_engine.atlas.truth import with_truth
from swap_engine.columns import column

SWAP_BATCH_SIZES = SPECS["nb201"].swap_batch_sizes
FILES = {name: chosen.file for name, chosen in SPECS.items()}  # atlas name -> its file in sample_data/


def proxy_settings(proxy: str, batch_size: int, name: str = "nb201") -> dict:
    """The runner settings of one atlas job: its batch size and the input of the proxy's group."""
    return spec(name).settings(proxy, batch_size)


__all__ = ["FAMILIES", "FILES", "GROUPS", "PROXY_BATCH_SIZE", "SEED", "SPECS", "SWAP_BATCH_SIZES", "Group", "Spec",
           "available", "build", "cell_jobs", "cell_order", "cell_table", "column", "columns_of", "coverage", "job_of",
           "jobs", "load", "load_file", "measured_jobs", "of_space", "path", "proxy_settings", "records", "save",
           "settings", "spec", "wide", "with_truth"]
