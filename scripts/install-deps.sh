#!/usr/bin/env bash
# Installs every Debian package SeatGrab's build, tests and demo need. Idempotent: when all
# packages are present it only checks and returns.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libcaf-dev
  libprotobuf-dev protobuf-compiler
  librocksdb-dev
  libjemalloc-dev # the server's allocator: less fragmentation under RocksDB and many threads
  libssl-dev
  libspdlog-dev libfmt-dev
  doctest-dev
  libboost-dev
  libqrencode-dev libpng-dev
  libicu-dev # e-mail normalization (NFC, case folding)
  libzbar-dev zbar-tools # tests only: decode rendered ticket QR codes (C++ tests; zbarimg in tests/web)
  libcli11-dev
  nlohmann-json3-dev
  zlib1g-dev
  libtomlplusplus-dev
  libedit-dev
  openssl iproute2 # tests only: the cluster's TLS certificates; network namespaces (partition)
  clang-format
  clang libclang-rt-14-dev # the fuzz build: libFuzzer, ASan and UBSan runtimes (scripts/fuzz.sh)
  chromium # tests only: the browser front end's tests (tests/web/, driven by playwright-core)
)

# Node.js and npm run the OpenAPI linter (scripts/lint-openapi.sh) and the browser tests
# (tests/web/run.sh installs their pinned packages). A node that is already on
# the PATH (e.g. from NodeSource, which bundles npm) is used as it is.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
