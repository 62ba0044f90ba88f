#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# Installs the Debian (bookworm) packages Tether needs to build, test and run its demos.
# Idempotent and quiet when everything is already there. Needs root (or sudo).
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config git
  qt6-base-dev qt6-base-dev-tools qt6-websockets-dev qt6-declarative-dev
  qml6-module-qtquick qml6-module-qtquick-window qml6-module-qtquick-controls
  qml6-module-qtquick-layouts qml6-module-qtqml-workerscript qml6-module-qttest
  qml6-module-qtquick-templates qml6-module-qtquick-shapes
  qt6-qpa-plugins libqt6sql6-sqlite libqt6opengl6-dev libgl-dev
  zlib1g-dev  # compressed v1.1 batches (sdk/protocol/compression.cpp, SDK and tether-server): inflate with a bounded output, which qUncompress cannot do
  libsqlite3-dev  # the durable store (sdk/client/store.cpp) uses SQLite's C API: Qt SQL's per-row cost missed its benchmark
  libwebsockets-dev libssl-dev openssl
  libjwt-dev  # tether-server JWT tokens (HS256/RS256), demos/server/jwt_auth.cpp; MPL-2.0
  libhiredis-dev redis-server nginx-light  # tether-server cluster mode (Redis state, nginx in front)
  ccache  # speeds up the CI build variants; every run must still pass with an empty cache
  clang-14 libclang-rt-14-dev
  xvfb xauth tmux
  doxygen dpkg-dev file  # packaging/: API reference, .deb build (dpkg-shlibdeps) and checks
  qt6-documentation-tools  # qhelpgenerator (/usr/lib/qt6/libexec): the API reference as Qt Help (.qch) for tether-doc
  lintian man-db desktop-file-utils systemd  # packaging checks: lintian, man pages, .desktop files, systemd-analyze verify of the unit
  make  # packaging_consumer_qmake builds with qmake + make
  abigail-tools  # abidw/abidiff: the ABI gate (packaging/check-abi-baseline.sh)
  debootstrap  # packaging/test-packages.sh: the .debs installed in a clean bookworm root
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
