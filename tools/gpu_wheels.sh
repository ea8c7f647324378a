#!/usr/bin/env bash
# The OpenMMLab packages for a GPU machine without network or OpenMMLab
# (Python 3.12, torch preinstalled; see tools/gpu_report.py).
#
#   bash tools/gpu_wheels.sh download .gpu_wheels   # build machine, network
#   bash tools/gpu_wheels.sh install .gpu_wheels     # GPU machine, offline
#   export PYTHONPATH=$PWD/.gpu_wheels/site:$PWD
#   python3 tools/gpu_report.py --out-dir docs/results \
#       --data-root .gpu_wheels/coco
#
# download: pure-Python wheels of mmengine, mmcv-lite (mmcv without its
# compiled ops: PatchSelViT, the estimator and the transforms need none) and
# mmpose, their small pure-Python dependencies, xtcocotools' source archive
# (no cp312 wheel exists) and a copy of mmpose's COCO test images for the
# training run: about 9 MB. The compiled dependencies (numpy, scipy,
# matplotlib, pyyaml, opencv) are in the GPU machine's image
# (../shared/GPU.md); install stops at its import check if one is not.
# .gpu_wheels/ is git-ignored.
# install: installs into DIR/site, offline and without dependency
# resolution, only what the machine's python3 cannot import already;
# xtcocotools is built there (needs a C compiler, Cython and numpy).
set -euo pipefail

PY_VERSION=3.12
PLATFORM=manylinux2014_x86_64
# import name=distribution==version (pure Python)
PURE=(
  mmengine=mmengine==0.10.7
  mmcv=mmcv-lite==2.1.0
  mmpose=mmpose==1.3.2
  mmdet=mmdet==3.3.0
  json_tricks=json-tricks
  munkres=munkres
  addict=addict
  yapf=yapf
  platformdirs=platformdirs
  termcolor=termcolor
  rich=rich
  markdown_it=markdown-it-py
  mdurl=mdurl
  pygments=pygments
  packaging=packaging
  cycler=cycler
  pyparsing=pyparsing
  dateutil=python-dateutil
  six=six
  pytest=pytest
  pluggy=pluggy
  iniconfig=iniconfig
)
XTCOCOTOOLS=xtcocotools==1.14.3

cmd=${1:-}; dir=${2:-.gpu_wheels}

download() {
  mkdir -p "$dir/wheels" "$dir/sdist"
  local specs=() entry root python
  root=$(cd "$(dirname "$0")/.." && pwd)
  # pip prepares the sdist's metadata by running xtcocotools' setup.py,
  # which imports numpy: the project's venv has it (PYTHON overrides).
  python=${PYTHON:-$root/.venv/bin/python}
  [ -x "$python" ] || python=python
  for entry in "${PURE[@]}"; do specs+=("${entry#*=}"); done
  "$python" -m pip download --no-deps --only-binary=:all: \
    --python-version "$PY_VERSION" --platform "$PLATFORM" \
    --implementation cp -d "$dir/wheels" "${specs[@]}"
  "$python" -m pip download --no-deps --no-binary=:all: --no-build-isolation \
    -d "$dir/sdist" "$XTCOCOTOOLS"
  local coco
  coco=$root/../shared/data/mmpose_testdata/coco
  if [ -d "$coco" ]; then rm -rf "$dir/coco"; cp -r "$coco" "$dir/coco"; fi
  printf '%s\n' "${PURE[@]}" > "$dir/modules.txt"
  du -sh "$dir"
}

install() {
  local site="$dir/site" python=${PYTHON:-python3} entry module dist wheel
  mkdir -p "$site"
  while read -r entry; do
    module=${entry%%=*}; dist=${entry#*=}; dist=${dist%%==*}
    if PYTHONPATH="$site" "$python" -c "import $module" 2>/dev/null; then
      echo "[gpu_wheels] $module: already importable"; continue
    fi
    # wheel file names spell the distribution with underscores
    wheel=$(ls "$dir"/wheels/"$(echo "$dist" | tr '-' '_')"-*.whl \
      "$dir"/wheels/"$dist"-*.whl 2>/dev/null | head -n 1 || true)
    if [ -z "$wheel" ]; then echo "[gpu_wheels] no wheel for $dist" >&2
      exit 1; fi
    echo "[gpu_wheels] $module: installing $(basename "$wheel")"
    "$python" -m pip install --no-index --no-deps --target "$site" "$wheel" -q
  done < "$dir/modules.txt"
  # mmcv-lite has no compiled ops, but mmpose 1.3.2 imports one at module
  # level (MultiScaleDeformableAttention, for ED-Pose): a stand-in
  # extension lets the import succeed, and calling any op raises. ViTPose,
  # LiteHRNet and PatchSelViT call none. (mmdet is in PURE because RTMO's
  # head imports mmdet.utils.)
  if ! PYTHONPATH="$site" "$python" -c "import mmcv.ops" 2>/dev/null; then
    echo "[gpu_wheels] mmcv.ops: stand-in for the missing compiled ops"
    cat > "$site/mmcv/_ext.py" <<'PY'
"""Stand-in for mmcv's compiled ops (tools/gpu_wheels.sh, mmcv-lite)."""


def __getattr__(name):
    def missing(*args, **kwargs):
        raise RuntimeError(f'mmcv op {name!r} is not compiled: this is '
                           'mmcv-lite (tools/gpu_wheels.sh)')
    return missing
PY
  fi
  if ! PYTHONPATH="$site" "$python" -c "import xtcocotools" 2>/dev/null; then
    echo "[gpu_wheels] xtcocotools: building from source"
    "$python" -m pip install --no-index --no-deps --no-build-isolation \
      --target "$site" "$dir"/sdist/xtcocotools-*.tar.gz -q
  fi
  PYTHONPATH="$site" "$python" -c \
    "import scipy, matplotlib, yaml, cv2, mmengine, mmcv, mmpose.models
import xtcocotools
print('[gpu_wheels] ok:', \
mmengine.__version__, mmcv.__version__, mmpose.__version__)"
}

case "$cmd" in
  download) download ;;
  install) install ;;
  *) echo "usage: $0 download|install [DIR]" >&2; exit 2 ;;
esac
