// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Registers namespace Tether's enums with the QML module (see qmltypes_p.h).
#include "qmltypes_p.h"

#include <QtCore/QCoreApplication>

namespace {

void registerSdkEnums()
{
    qmlRegisterUncreatableMetaObject(Tether::staticMetaObject, "Tether", 1, 0, "Tether",
                                     QStringLiteral("Tether holds the SDK's enums only"));
    // Error::Code and Error::Kind as `Error.Timeout`, `Error.Remote` (the value type itself
    // is `error`, ErrorForeign).
    qmlRegisterUncreatableMetaObject(Tether::Error::staticMetaObject, "Tether", 1, 0, "Error",
                                     QStringLiteral("Error is a value: read it from a client or a signal"));
}

} // namespace

// At library load, before any engine imports the module (the plugin loads this library).
Q_CONSTRUCTOR_FUNCTION(registerSdkEnums)
