// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Export macro of the Tether SDK. Symbols are hidden by default; only what is marked
// TETHER_EXPORT is part of the ABI.
//
// Qt's Q_DECL_EXPORT/Q_DECL_IMPORT spell it for each compiler (visibility("default") on
// GCC/Clang, __declspec(dllexport/dllimport) on Windows). A static build of the SDK
// (BUILD_SHARED_LIBS=OFF) defines TETHER_STATIC for itself and for everything linking
// Tether::Sdk: nothing to export or import then.
#pragma once

#include <QtCore/qglobal.h>

#if defined(TETHER_STATIC)
#  define TETHER_EXPORT
#elif defined(TETHER_BUILDING_SDK)
#  define TETHER_EXPORT Q_DECL_EXPORT
#else
#  define TETHER_EXPORT Q_DECL_IMPORT
#endif
