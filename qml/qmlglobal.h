// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Export macro of the QML module's backing library (libtetherqml, Tether::Qml), like
// TETHER_EXPORT for the SDK (Tether/global.h): the QML types' classes are exported so a
// C++ application can reach them (QmlClient::client() to share the connection with C++
// code, the option groups, MessageModel) through the installed <TetherQml/...> headers.
#pragma once

#include <Tether/global.h>

#if defined(TETHER_STATIC)
#  define TETHER_QML_EXPORT
#elif defined(TETHER_BUILDING_QML)
#  define TETHER_QML_EXPORT Q_DECL_EXPORT
#else
#  define TETHER_QML_EXPORT Q_DECL_IMPORT
#endif
