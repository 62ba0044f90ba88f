// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The C++ SDK's types as QML sees them. Not public API.
//
// One vocabulary: QML uses Tether::'s own enums and value types, registered here, instead
// of copies of them (`Tether.SubscriptionStatus.Subscribed`, `client.stats.bytesIn`).
#pragma once

#include <Tether/client.h>
#include <Tether/error.h>
#include <Tether/stats.h>
#include <Tether/types.h>

#include <QtQml/qqml.h>

namespace Tether::Qml {

// The enums of Tether:: (types.h), as `Tether.<Enum>.<Value>`, are registered by hand in
// qmltypes.cpp: Qt 6.4's type registrar cannot register a foreign namespace under a name.
// Error (error.h) as the value type of every `error` in QML (`client.error.code`,
// `onErrorOccurred: error => ...`); its codes and kinds as `Error.<Code>` (qmltypes.cpp).
struct ErrorForeign {
    Q_GADGET
    QML_FOREIGN(Tether::Error)
    QML_VALUE_TYPE(error)
};

// ClientStats (stats.h) as the value type of QML `Client.stats`.
struct ClientStatsForeign {
    Q_GADGET
    QML_FOREIGN(Tether::ClientStats)
    QML_VALUE_TYPE(clientStats)
};

// Tether::Client, as the type of QML `Client.client` (not creatable: QML's `Client` makes one).
struct CppClientForeign {
    Q_GADGET
    QML_FOREIGN(Tether::Client)
    QML_ANONYMOUS
};

} // namespace Tether::Qml
