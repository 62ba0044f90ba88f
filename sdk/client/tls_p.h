// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// What the transport does with TlsOptions: the socket's QSslConfiguration, the pins, the
// ignore list. Not public API. Pure functions (unit-tested in tests/client).
#pragma once

#include "autotest_p.h"

#include <Tether/tlsoptions.h>

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QString>

namespace Tether::Tls {

// Why `options` cannot be used (a bad pin, a minimum protocol that is not a TLS 1.2+
// "or later", a certificate without its key); empty when they can.
TETHER_AUTOTEST_EXPORT QString validate(const TlsOptions &options);

// The configuration the socket gets (see tlsoptions.h for the layering).
TETHER_AUTOTEST_EXPORT QSslConfiguration socketConfiguration(const TlsOptions &options);

// True when the deprecated verifyPeer(false) turned verification off.
TETHER_AUTOTEST_EXPORT bool verificationDisabled(const TlsOptions &options);

// SHA-256 of the certificate's SubjectPublicKeyInfo (DER), raw 32 bytes.
TETHER_AUTOTEST_EXPORT QByteArray publicKeySha256(const QSslCertificate &certificate);

// True when no pins are set, or when a certificate of `chain` matches one of them.
TETHER_AUTOTEST_EXPORT bool chainMatchesPins(const QList<QSslCertificate> &chain, const TlsOptions &options);

// The errors of `errors` that `options` does not accept (all of them when none is ignored).
TETHER_AUTOTEST_EXPORT QList<QSslError> unacceptedErrors(const QList<QSslError> &errors, const TlsOptions &options);

} // namespace Tether::Tls
