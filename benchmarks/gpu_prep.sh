#!/usr/bin/env bash
# Prepare what benchmarks/gpu_check.sh needs on a machine that reaches no package registry: pure-Python
# wheels in .gpu/wheels and the data files in .gpu/data (both ignored by git; carry ".gpu" to the device).
#
#   bash benchmarks/gpu_prep.sh            # run here, where pip reaches an index and SWAP_DATA holds the data
#   TORCHVISION=0 bash benchmarks/gpu_prep.sh   # leave out the (binary, torch-pinned) torchvision wheel
#
# The device has torch, numpy, pandas, scipy and pyarrow. The scoring CLI also imports tqdm (and platformdirs
# when SWAP_DATA is unset); the tests need pytest and hypothesis. Left out: pooch (only `data fetch`),
# networkx (only the app's charts) and tokenizers (binary; only the FlexiBERT text input). torchvision (zoo space, and the googlenet test) is binary and pinned to one
# torch build, so it is carried as an option that gpu_check.sh installs only when the device's torch matches.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
DATA_SRC=${SWAP_DATA:-../shared/data}
WHEELS=.gpu/wheels
DATA=.gpu/data

rm -rf "$WHEELS" && mkdir -p "$WHEELS"
PURE=(tqdm platformdirs pytest pluggy iniconfig packaging hypothesis attrs sortedcontainers exceptiongroup tomli
      typing_extensions)
for name in "${PURE[@]}"; do
  "$PY" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.10 --implementation py \
    --abi none --platform any -d "$WHEELS" "$name" 2>/dev/null \
    || "$PY" -m pip download --quiet --no-deps -d "$WHEELS" "$name"
done
if [ "${TORCHVISION:-1}" = 1 ]; then
  tv=$("$PY" -c "import torchvision; print(torchvision.__version__.split('+')[0])")
  mkdir -p "$WHEELS/optional"
  "$PY" -m pip download --quiet --no-deps -d "$WHEELS/optional" "torchvision==$tv" pillow \
    || echo "gpu_prep: torchvision wheel not downloaded (the zoo test will be skipped on the device)"
fi
printf '%s\n' "${PURE[@]}" > "$WHEELS/names.txt"

rm -rf "$DATA" && mkdir -p "$DATA/cifar10" "$DATA/nb201" "$DATA/darts" "$DATA/flexibert" "$DATA/suite_zero"
# the atlases' benchmarks too (their architectures are read from these tables): about 1.4 MB
for file in cifar10/train_first10000.npz nb201/nats_bench.csv nb201/nb201_zen.zip darts/DARTS_archs_CIFAR10.csv \
    flexibert/BERT_benchmark.json suite_zero/zc_nasbench101.json suite_zero/zc_nasbench301.json; do
  cp "$DATA_SRC/$file" "$DATA/$file"
done
chmod -R u+w .gpu
du -sh .gpu/wheels .gpu/data .gpu
total=$(du -sb .gpu | cut -f1)
if [ "$total" -gt $((60 * 1024 * 1024)) ]; then
  echo "gpu_prep: .gpu is $total bytes; the device tool carries 64 MiB in all" >&2
  exit 1
fi
echo "gpu_prep: ready; on the device: run with carry [\".gpu\"] and command 'bash benchmarks/gpu_check.sh'"
