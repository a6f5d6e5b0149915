#!/usr/bin/env bash
# One-time (idempotent) set-up of a Debian 12 machine for this project: the Debian packages the site
# and the tests call, the Python environment from uv.lock, and the npm assets from package-lock.json.
# Without root and with a package missing, it stops with the exact apt-get line to run.
set -euo pipefail
cd "${BASH_SOURCE[0]%/*}/../.."

# command (or file) -> Debian package that provides it
need=(
  "cmd:dot graphviz" "cmd:chromium chromium" "file:/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc fonts-noto-cjk"
  "cmd:node nodejs" "cmd:npm npm" "cmd:git git" "cmd:make make" "cmd:clang clang" "cmd:llvm-objdump llvm"
  "file:/usr/include/bpf/bpf_helpers.h libbpf-dev" "cmd:bpftool bpftool" "cmd:tshark tshark"
  "cmd:perf linux-perf" "file:/usr/include/gelf.h libelf-dev" "cmd:ip iproute2" "cmd:nft nftables" "venv:python3 python3-venv"
)
missing=()
for item in "${need[@]}"; do
  probe=${item%% *}; pkg=${item#* }
  kind=${probe%%:*}; what=${probe#*:}
  case $kind in
    cmd) command -v "$what" >/dev/null 2>&1 || missing+=("$pkg") ;;
    file) [ -e "$what" ] || missing+=("$pkg") ;;
    venv) python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=("$pkg") ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  line="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$EUID" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run this as root, then run the same make command again:" >&2
    echo "  $line" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# uv lives in its own small venv so that `uv sync` never removes it from the project's .venv.
if [ ! -x .tools/bin/uv ]; then
  python3 -m venv .tools
  .tools/bin/pip install -q "uv==0.13.8"
fi
# Never let uv download an interpreter: Debian's python3 (3.11) is the one we lock for.
UV_PYTHON_DOWNLOADS=never .tools/bin/uv sync --locked --python python3 --compile-bytecode -q

# npm assets (mermaid, d3-flame-graph) from the committed package-lock.json; copied into the
# site by the kb-notebooks plugin's vendor step, never loaded from a CDN.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
