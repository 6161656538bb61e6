#!/usr/bin/env bash
# One prepared GPU check (issues 14, 23, 25): CUDA tests, the engine benchmark, SWAP B = 16 over all 15,625 NB201
# cells compared with sample_data/nb201_swap_b16.csv, and the other benchmarks' atlases with the time left. Everything it
# writes lands under $OUT: logs, JSON/CSV results and summary.md (also printed at the end).
#
# On the device machine (torch, numpy, pandas, scipy, pyarrow installed; no package registry):
#   bash benchmarks/gpu_prep.sh                      # here, first: wheels -> .gpu/wheels, data -> .gpu/data
#   device tool: run(carry=[".gpu"], command="bash benchmarks/gpu_check.sh")
# Dry run on a CPU (40 cells, a few tests, a small benchmark; under 2 minutes):
#   DEVICE=cpu OUT=/tmp/gpu_dry bash benchmarks/gpu_check.sh
#
# Knobs (environment): DEVICE (cuda), OUT (results/gpu_check), BUDGET seconds for the whole script (450 on
# cuda: the device allows 15 minutes in all, machine start included), SHARDS parallel scoring processes (8 on
# cuda, 2 on cpu), CELLS (all on cuda, 40 on cpu), PYTHON (python3, or .venv/bin/python when it exists on cpu).
set -uo pipefail  # no -e: every step records its exit status and the script goes on to the next
cd "$(dirname "$0")/.."
ROOT=$PWD
DEVICE=${DEVICE:-cuda}
DRY=0; [ "$DEVICE" = cpu ] && DRY=1
OUT=${OUT:-$ROOT/results/gpu_check}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
if [ "$DRY" = 1 ]; then
  BUDGET=${BUDGET:-110}; SHARDS=${SHARDS:-2}; CELLS=${CELLS:-40}
  [ -x .venv/bin/python ] && PYTHON=${PYTHON:-.venv/bin/python}
else
  BUDGET=${BUDGET:-450}; SHARDS=${SHARDS:-8}; CELLS=${CELLS:-all}
fi
PY=${PYTHON:-python3}
START=$SECONDS
exec > >(tee -a "$OUT/gpu_check.log") 2>&1
echo "gpu_check: device $DEVICE, budget ${BUDGET}s, shards $SHARDS, cells $CELLS, out $OUT, $(date -u +%FT%TZ)"
printf 'step\trc\tseconds\tnote\n' > "$OUT/steps.tsv"

left() { echo $((BUDGET - (SECONDS - START))); }
# step NAME CAP RESERVE CMD...: run CMD under a timeout of min(CAP, time left - RESERVE) seconds (RESERVE is
# kept for the steps after it), its output in $OUT/NAME.log; skipped when under 15 s would be left for it.
# Order of priority: tests, NB201 (the headline number), its comparison, the benchmark, the atlas.
step() {
  local name=$1 cap=$2 reserve=$3; shift 3
  local limit=$(( $(left) - reserve )); [ "$limit" -gt "$cap" ] && limit=$cap
  if [ "$limit" -lt 15 ]; then
    printf '%s\tskipped\t0\tno time left\n' "$name" >> "$OUT/steps.tsv"; echo "== $name: skipped (no time left)"; return 0
  fi
  echo "== $name (limit ${limit}s): $*"
  local t0=$SECONDS
  timeout --signal=TERM --kill-after=15 "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  local note=""; if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then note="timed out after ${limit}s"; fi
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$((SECONDS - t0))" "$note" >> "$OUT/steps.tsv"
  tail -n 3 "$OUT/$name.log"
  echo "== $name: rc $rc in $((SECONDS - t0))s $note"
  return 0
}

# --- 0. Python packages: install only the carried wheels whose module is missing (all of them on a dry run) ---
SITE=${SITE:-${TMPDIR:-/tmp}/swap-gpu-site}
rm -rf "$SITE"; mkdir -p "$SITE"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
if [ -d .gpu/wheels ]; then
  missing=()
  while read -r dist; do
    [ -z "$dist" ] && continue
    module=$dist; [ "$dist" = attrs ] && module=attr
    if [ "$DRY" = 1 ] || ! "$PY" -c "import $module" 2>/dev/null; then missing+=("$dist"); fi
  done < .gpu/wheels/names.txt
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]} into $SITE"
    if ! "$PY" -m pip install --quiet --no-index --no-deps --find-links .gpu/wheels --target "$SITE" "${missing[@]}" \
        > "$OUT/pip.log" 2>&1; then
      echo "pip failed (see pip.log): putting the wheels themselves on the path"
      for dist in "${missing[@]}"; do
        for wheel in .gpu/wheels/"$dist"-*.whl; do [ -e "$wheel" ] && SITE="$SITE:$ROOT/$wheel"; done
      done
    fi
  fi
  if ! "$PY" -c "import torchvision" 2>/dev/null && ls .gpu/wheels/optional/torchvision-*.whl > /dev/null 2>&1; then
    wheel=$(ls .gpu/wheels/optional/torchvision-*.whl | head -1)
    want=$("$PY" - "$wheel" <<'PY'
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    m = re.search(r"^Requires-Dist: torch ?\(?==([\w.]+)", z.read(meta).decode(), re.M)
print(m.group(1) if m else "")
PY
)
    have=$("$PY" -c "import torch; print(torch.__version__.split('+')[0])")
    if [ -n "$want" ] && [ "$want" = "$have" ]; then
      "$PY" -m pip install --quiet --no-index --no-deps --target "$SITE" .gpu/wheels/optional/*.whl >> "$OUT/pip.log" 2>&1 \
        && echo "installed $(basename "$wheel")" || echo "torchvision wheel did not install (see pip.log)"
    else
      echo "torchvision missing and the carried wheel wants torch $want (device has $have): zoo test skipped"
    fi
  fi
else
  echo "no .gpu/wheels (run benchmarks/gpu_prep.sh and carry .gpu): using what is installed"
fi
export PYTHONPATH="$SITE:$PYTHONPATH"
if [ -d .gpu/data ]; then export SWAP_DATA="$ROOT/.gpu/data"; fi
echo "SWAP_DATA=${SWAP_DATA:-unset}"

# --- facts about the machine ---
command -v nvidia-smi > /dev/null && nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
"$PY" - "$DEVICE" > "$OUT/env.json" 2> "$OUT/env.err" <<'PY'
import json, platform, sys
import torch
facts = {"python": platform.python_version(), "torch": torch.__version__, "cuda_available": torch.cuda.is_available(),
         "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version() if torch.cuda.is_available() else None}
if torch.cuda.is_available():
    props = torch.cuda.get_device_properties(0)
    facts.update(gpu=props.name, gpu_memory_gib=round(props.total_memory / 2 ** 30, 1),
                 driver=torch.cuda.driver_version() if hasattr(torch.cuda, "driver_version") else None)
for name in ("numpy", "pandas", "scipy", "torchvision", "pytest", "hypothesis", "tqdm"):
    try:
        facts[name] = __import__(name).__version__
    except Exception as err:  # noqa: BLE001
        facts[name] = f"missing ({type(err).__name__})"
print(json.dumps(facts, indent=1))
PY
cat "$OUT/env.json"
if [ "$DRY" = 0 ] && ! grep -q '"cuda_available": true' "$OUT/env.json"; then
  echo "gpu_check: torch sees no CUDA device; nothing else to run" | tee "$OUT/summary.md"
  exit 1
fi

# --- 1. CUDA tests: the gpu-marked tests, then the exactness tests with the engine on $DEVICE ---
PYTEST=("$PY" -m pytest -q -p no:cacheprovider -o addopts="" -rs)
ENGINE_TESTS=(tests/test_swap_engine.py tests/test_functional_capture.py)
if [ "$DRY" = 1 ]; then
  step tests_gpu 30 60 "${PYTEST[@]}" -m gpu "${ENGINE_TESTS[@]}" --junitxml="$OUT/tests_gpu.xml"
  SWAP_TEST_DEVICE=$DEVICE step tests_exact 30 45 "${PYTEST[@]}" "${ENGINE_TESTS[@]}" --junitxml="$OUT/tests_exact.xml" \
    -k "functional_net_matches_naive"
else
  step tests_gpu 45 300 "${PYTEST[@]}" -m gpu "${ENGINE_TESTS[@]}" --junitxml="$OUT/tests_gpu.xml"
  SWAP_TEST_DEVICE=$DEVICE step tests_exact 90 200 "${PYTEST[@]}" "${ENGINE_TESTS[@]}" --junitxml="$OUT/tests_exact.xml"
fi

# --- 2. SWAP B = 16 over NB201: SHARDS processes in parallel, every cell once ---
if [ "$CELLS" = all ]; then STRIDE=$SHARDS; else STRIDE=$(( (15625 * SHARDS + CELLS - 1) / CELLS )); fi
"$PY" -m swap_engine score --help > "$OUT/score_help.txt" 2>&1
extra=()
grep -q -- "--threads" "$OUT/score_help.txt" && extra+=(--threads "${SCORE_THREADS:-1}")
score_cmd() {  # score_cmd I: one shard, its own CSV (and store); JSON lines to its log
  "$PY" -m swap_engine score --space nb201 --all --batch-size 16 --device "$DEVICE" --shard "$1/$STRIDE" \
    --csv "$OUT/nb201_gpu_$1.csv" --json "${extra[@]}" > "$OUT/nb201_shard_$1.jsonl" 2> "$OUT/nb201_shard_$1.err"
}
run_shards() {
  local pids=() rc=0
  for i in $(seq 0 $((SHARDS - 1))); do OMP_NUM_THREADS=${SCORE_THREADS:-1} score_cmd "$i" & pids+=($!); done
  trap 'kill -TERM "${pids[@]}" 2>/dev/null' TERM
  for pid in "${pids[@]}"; do wait "$pid" || rc=$?; done
  return $rc
}
export -f score_cmd run_shards
export PY DEVICE STRIDE OUT SHARDS SCORE_THREADS
EXTRA="${extra[*]}"; export EXTRA
t_score=$SECONDS
if [ "$DRY" = 1 ]; then step nb201 45 15 bash -c 'extra=($EXTRA); run_shards'
else step nb201 200 25 bash -c 'extra=($EXTRA); run_shards'; fi
wall=$((SECONDS - t_score))
runs=()  # each shard's CSV, or its runner store when the run was stopped before the CSV was written
for i in $(seq 0 $((SHARDS - 1))); do
  if [ -s "$OUT/nb201_gpu_$i.csv" ]; then runs+=("$OUT/nb201_gpu_$i.csv")
  elif [ -s "$OUT/nb201_gpu_$i.csv.store" ]; then runs+=("$OUT/nb201_gpu_$i.csv.store"); fi
done
step compare 30 0 "$PY" benchmarks/compare_nb201.py "${runs[@]:-$OUT/nb201_gpu_0.csv}" --wall-seconds "$wall" \
  --joined "$OUT/nb201_gpu.csv" --json "$OUT/nb201_compare.json" --markdown "$OUT/nb201_compare.md"

# --- 3. engine benchmark: forward vs swap_score vs naive, peak memory vs budget ---
if [ "$DRY" = 1 ]; then
  step bench 30 0 "$PY" benchmarks/bench_engine.py --device "$DEVICE" --models nb201 --batches 16 \
    --rounds 1 --threads 1 --no-memory --naive-max-batch 0 --json "$OUT/bench_engine.json"
else
  step bench 90 0 "$PY" benchmarks/bench_engine.py --device "$DEVICE" --batches 16,64,256,1024,4096 --rounds 3 \
    --naive-max-batch 256 --json "$OUT/bench_engine.json"
fi

# --- 4. the atlases still incomplete on the CPU: one process per benchmark, all on the device at once ---
# Each resumes from its committed sample_data/ file (copied to $OUT first), so only the missing columns run;
# the filled tables come back under $OUT with the same names, to be copied into sample_data/ and committed.
ATLASES=${ATLASES:-"darts-1k nb301-500 nb101-500 flexibert-500 zoo darts-1k-proxynet"}
atlas_one() {  # atlas_one NAME: every group of that benchmark's atlas into $OUT
  local file; file=$("$PY" -c "from swap_engine import atlas; print(atlas.spec('$1').file)")
  [ -f "sample_data/$file" ] && cp "sample_data/$file" "$OUT/$file"
  local cells=(); [ "$DRY" = 1 ] && cells=(--cells 2)
  "$PY" -m swap_engine atlas --space "$1" --groups first,label,az --device "$DEVICE" --round 50 "${cells[@]}" \
    --store "$OUT/atlas_store_$1.csv" --out "$OUT/$file" > "$OUT/atlas_$1.log" 2>&1
}
run_atlases() {
  local pids=() rc=0
  for name in $ATLASES; do OMP_NUM_THREADS=1 atlas_one "$name" & pids+=($!); done
  trap 'kill -TERM "${pids[@]}" 2>/dev/null' TERM
  for pid in "${pids[@]}"; do wait "$pid" || rc=$?; done
  return $rc
}
export -f atlas_one run_atlases
export ATLASES DRY
if "$PY" -m swap_engine atlas --help > "$OUT/atlas_help.txt" 2>&1; then
  step atlas "$BUDGET" 5 bash -c run_atlases
else
  printf 'atlas\tskipped\t0\tno atlas command\n' >> "$OUT/steps.tsv"
fi

# --- summary ---
{
  echo "# GPU check, $(date -u +%F) ($DEVICE$([ "$DRY" = 1 ] && echo ', dry run'))"
  echo
  echo '```'; cat "$OUT/env.json"; echo '```'
  echo
  echo "| step | exit | seconds | note |"; echo "|---|---|---|---|"
  tail -n +2 "$OUT/steps.tsv" | awk -F'\t' '{printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}'
  for name in tests_gpu tests_exact; do
    [ -f "$OUT/$name.log" ] && echo && echo "$name: $(grep -E '(passed|failed|error|skipped)' "$OUT/$name.log" | tail -1)"
  done
  if [ -f "$OUT/bench.log" ]; then echo; echo "## Engine benchmark"; echo; echo '```'; cat "$OUT/bench.log"; echo '```'; fi
  echo; echo "## NB201, SWAP B = 16 ($SHARDS processes in parallel, shards i/$STRIDE for i < $SHARDS)"; echo
  if [ -f "$OUT/nb201_compare.md" ]; then cat "$OUT/nb201_compare.md"; else echo "no comparison (see nb201.log)"; fi
  for log in "$OUT"/atlas_*.log; do
    [ -f "$log" ] && { echo; echo "## $(basename "$log" .log)"; echo; echo '```'; tail -n 3 "$log"; echo '```'; }
  done
  echo; echo "total: $((SECONDS - START)) s of a ${BUDGET} s budget"
} > "$OUT/summary.md"
echo; cat "$OUT/summary.md"
