#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# Makes docs/images/chat-online.png, chat-offline.png and chat-recovered.png by playing the
# scripted conversation of tether-chat-screenshots (screenshot_tour.cpp) with the real
# window. Uses Xvfb (xvfb-run) when installed, else Qt's offscreen platform.
#   demos/chat/take-screenshots.sh [BUILD_DIR]     (default build/dev; built if needed)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

build=${1:-build/dev}
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake --preset dev >/dev/null
    build=build/dev
fi
cmake --build "$build" --target tether-server tether-chat-screenshots -j "$(nproc)"

tour=("$build/demos/chat/tether-chat-screenshots" --server "$build/demos/server/tether-server"
      --out docs/images)
if command -v xvfb-run >/dev/null; then
    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" "${tour[@]}"
else
    QT_QPA_PLATFORM=offscreen "${tour[@]}"
fi
