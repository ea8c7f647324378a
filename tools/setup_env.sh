#!/usr/bin/env bash
# Build (or reuse) the CPU environment for mmpose-patchsel: a virtualenv with
# the pinned torch pair, mmcv compiled with its CPU ops, mmpose, mmdet, mim,
# Sphinx for the docs, and this package installed in editable mode.
#
# Idempotent: a stamp in the venv records a hash of the requirement files and
# of this script; when it matches, nothing is reinstalled. The compiled mmcv
# and xtcocotools wheels are cached in a wheelhouse outside the repository,
# so a fresh clone on the same machine skips the 17-minute mmcv build.
#
# Environment variables:
#   PATCHSEL_VENV        virtualenv path        (default: <repo>/.venv)
#   PATCHSEL_WHEELHOUSE  compiled wheel cache   (default: ~/.cache/mmpose-patchsel/wheelhouse)
#   PYTHON               interpreter for the venv (default: python3)
#   MAX_JOBS             parallel compile jobs for mmcv (default: nproc)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PATCHSEL_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
PINS="$ROOT/requirements/cpu-pins.txt"
LOGS="$VENV/setup-logs"
STAMP="$VENV/.patchsel-env-stamp"
export PIP_DISABLE_PIP_VERSION_CHECK=1

stamp_value() {
    cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" "${BASH_SOURCE[0]}" \
        | sha256sum | cut -d' ' -f1
}

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(stamp_value)" ]]; then
    echo "[setup] environment up to date: $VENV"
    exit 0
fi

STEP_NO=0
TOTAL_START=$SECONDS
# step NAME CMD...: run CMD with its output in a log, print the step's time,
# and stop with the step's name and the log's tail when it fails.
step() {
    local name="$1"; shift
    STEP_NO=$((STEP_NO + 1))
    local log="$LOGS/$(printf '%02d' $STEP_NO)-${name// /_}.log"
    local start=$SECONDS
    echo "[setup] step $STEP_NO: $name ..."
    mkdir -p "$LOGS"
    if ! "$@" >"$log" 2>&1; then
        echo "[setup] FAILED at step $STEP_NO: $name (log: $log)" >&2
        grep -v 'is ignored: it is neither' "$log" | tail -n 30 >&2
        exit 1
    fi
    echo "[setup] step $STEP_NO: $name done in $((SECONDS - start))s"
}

pip_install() { "$VENV/bin/python" -m pip install -c "$PINS" "$@"; }

create_venv() {
    if [[ ! -x "$VENV/bin/python" ]]; then
        "$PYTHON" -m venv "$VENV"
    fi
    "$VENV/bin/python" -c 'import sys; assert sys.version_info >= (3, 8)'
}

# Compile PKG into the wheelhouse unless a wheel is already cached there.
build_wheel() {
    local pkg="$1"
    if ls "$WHEELHOUSE"/"$pkg"-*.whl >/dev/null 2>&1; then
        echo "cached: $(ls "$WHEELHOUSE"/"$pkg"-*.whl)"
        return 0
    fi
    mkdir -p "$WHEELHOUSE"
    # --no-cache-dir: pip's own wheel cache is not keyed by the torch the
    # extension was compiled against; ours is.
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
        "$VENV/bin/python" -m pip wheel --no-deps --no-build-isolation \
        --no-cache-dir --no-binary "$pkg" -c "$PINS" -w "$WHEELHOUSE" "$pkg"
}

install_openmmlab() {
    "$VENV/bin/python" -m pip install --no-deps "$WHEELHOUSE"/mmcv-*.whl \
        "$WHEELHOUSE"/xtcocotools-*.whl
    pip_install -r "$ROOT/requirements/openmmlab-deps.txt" mmengine
    # --no-deps: mmpose's requirements pull chumpy, which cannot be built.
    pip_install --no-deps mmpose mmdet openmim
}

install_project() {
    pip_install -r "$ROOT/requirements/runtime.txt" \
        -r "$ROOT/requirements/tests.txt" -r "$ROOT/requirements/docs.txt" \
        -r "$ROOT/requirements/deploy.txt"
    "$VENV/bin/python" -m pip install --no-deps --no-build-isolation -e "$ROOT"
    "$VENV/bin/python" -m pip install --no-deps --no-build-isolation -e "$ROOT/runtime"
}

check_imports() {
    "$VENV/bin/python" - <<'PY'
import mmcv, mmcv.ops, mmdet, mmengine, mmpose, torch, torchvision
import mmpose_patchsel
print(f'torch {torch.__version__}, torchvision {torchvision.__version__}, '
      f'mmcv {mmcv.__version__} (ops compiled), mmengine '
      f'{mmengine.__version__}, mmpose {mmpose.__version__}, mmdet '
      f'{mmdet.__version__}, mmpose_patchsel {mmpose_patchsel.__version__}')
PY
}

step "create venv" create_venv
step "build tools" pip_install setuptools wheel ninja numpy cython
step "torch pair" pip_install torch torchvision
TORCH_TAG=$("$VENV/bin/python" -c \
    'import sys, torch; print(f"torch{torch.__version__}-py{sys.version_info[0]}{sys.version_info[1]}")')
WHEELHOUSE="${PATCHSEL_WHEELHOUSE:-$HOME/.cache/mmpose-patchsel/wheelhouse}/$TORCH_TAG"
step "mmcv wheel" build_wheel mmcv  # compiled once: ~17 min on 2 cores
step "xtcocotools wheel" build_wheel xtcocotools
step "openmmlab packages" install_openmmlab
step "mmpose_patchsel" install_project
step "import check" check_imports
tail -n 1 "$LOGS/$(printf '%02d' $STEP_NO)-import_check.log"

stamp_value >"$STAMP"
echo "[setup] environment ready in $((SECONDS - TOTAL_START))s: $VENV" \
     "($(du -sh "$VENV" | cut -f1))"
