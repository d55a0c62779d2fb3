#!/usr/bin/env bash
# Regenerates the committed CUDA runtime and NVML bindings of the gpu module.
#   CUDA: from the CUDA 13 toolkit headers (CUDA_HOME, default /usr/local/cuda)
#   NVML: from gpu/bindgen/nvml_subset.h
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/scripts/lib/common.sh"
parley_find_java
command -v castxml >/dev/null || parley_die "castxml is not installed (Debian: apt-get install castxml)"
cuda="${CUDA_HOME:-/usr/local/cuda}"
[[ -f "$cuda/include/cuda_runtime_api.h" ]] || parley_die "no CUDA toolkit headers in $cuda/include (set CUDA_HOME)"
cd "$here"
java bindgen/src/main/java/dev/parley/bindgen/BindGen.java --spec gpu/bindgen/cudart.spec --source-root "$cuda" --out gpu/src/main/java
java bindgen/src/main/java/dev/parley/bindgen/BindGen.java --spec gpu/bindgen/nvml.spec --source-root gpu/bindgen --out gpu/src/main/java
