// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Client and its durable store (ClientOptions::storage, issue 13).
//
// The engine decides what is kept and when (sdk/engine/persist.h); the Store writes it
// (store_p.h). This file only connects them, in this order:
//   1. openStorage() before the engine exists: a store that cannot be written (in use,
//      read-only, failed) leaves the engine in memory mode from its first instant, so it
//      never emits a batch nobody can write;
//   2. restoreStorage() right after: the engine takes the snapshot back before any open();
//      what the app must hear (the store's errors, restored(count), outcomes restore()
//      already decided such as an Expired TTL) is posted to the event loop, because the
//      app can only connect its slots once the constructor has returned;
//   3. PersistBatch actions go to Store::submit(); Store::persisted() comes back as
//      Connection::handlePersisted() (a write error turns persistence off: memory mode);
//   4. closeStorage() from the destructor: the engine's pending changes are flushed and
//      the store drains before the file is released, so an app that quits loses nothing.
#include "client_p.h"
#include "conversion_p.h"
#include "logging_p.h"

namespace Tether {

Engine::Options ClientPrivate::engineOptionsFor(const ClientOptions &clientOptions) const
{
    Engine::Options engineOptions = Convert::engineOptions(clientOptions, urls);
    engineOptions.compression = compression;
    engineOptions.compressionThreshold = qsizetype(compressionThreshold);
    if (!storageActive)
        engineOptions.durability = Engine::Durability::Memory;
    if (adjustEngineOptions)
        adjustEngineOptions(engineOptions);
    return engineOptions;
}

void ClientPrivate::storageFailed(const QString &message, Error::Code code)
{
    storageErrors.append(Error(code, message, false));
}

void ClientPrivate::openStorage()
{
    storageActive = false;
    snapshotToRestore.reset();
    readOnlyMessage.clear();
    if (options.storage.isEmpty())
        return;
    store = std::make_unique<Store>();
    Store::Identity identity;
    identity.codec = options.codec == Codec::Cbor ? Protocol::CodecKind::Cbor : Protocol::CodecKind::Json;
    identity.rawMode = options.rawMode;
    for (const QUrl &url : std::as_const(urls))
        identity.urls << url.toString(QUrl::FullyEncoded);
    Store::OpenResult opened = store->open(options.storage, identity);
    switch (opened.status) {
    case Store::OpenStatus::Opened:
        break;
    case Store::OpenStatus::Recovered:
        // Not an error of the client's: it goes on with a fresh store, but the app must
        // know where the old file went.
        storageFailed(opened.message);
        break;
    case Store::OpenStatus::ReadOnly:
        // What could be read is still delivered; nothing can be written, so nothing is
        // removed from the file either (docs/delivery.md). The engine reports it, once it
        // has restored the snapshot (restoreStorage()).
        readOnlyMessage = opened.message + QStringLiteral(" (running in memory)");
        break;
    case Store::OpenStatus::InUse:
        storageFailed(opened.message + QStringLiteral(" (running in memory)"), Error::StorageInUse);
        store.reset();
        return;
    case Store::OpenStatus::Failed:
        storageFailed(opened.message + QStringLiteral(" (running in memory)"));
        store.reset();
        return;
    }
    qCDebug(lcClient) << "store" << options.storage << "opened," << opened.snapshot.messages.size()
                      << "message(s) to restore";
    storageActive = opened.isWritable();
    snapshotToRestore = std::move(opened.snapshot);
    if (!storageActive) {
        store->close();
        store.reset();
    } else {
        QObject::connect(store.get(), &Store::persisted, q,
                         [this](quint64 number, const QString &error) { onPersisted(number, error); });
    }
}

void ClientPrivate::restoreStorage()
{
    if (snapshotToRestore) {
        const Engine::RestoreResult result = engine->restore(now(), *snapshotToRestore);
        snapshotToRestore.reset();
        if (!result.ok())
            storageFailed(QStringLiteral("%1: %2").arg(options.storage, result.error->message));
        restoredCount = int(result.count);
        if (!readOnlyMessage.isEmpty()) {
            // restore() turned the journal on; a store that cannot be written turns it off
            // again, through the engine's one path for a failed store.
            engine->handlePersisted(now(), 0,
                                    Engine::Error::make(Engine::ErrorKind::Local, Engine::ErrorCode::StorageError,
                                                        std::exchange(readOnlyMessage, {})));
        }
    }
    if (options.storage.isEmpty())
        return;
    // After the constructor (or setOptions()) has returned: the app's slots are connected.
    const int count = restoredCount;
    const quint64 generation = ++storageGeneration;
    QMetaObject::invokeMethod(q, [this, count, generation] {
        if (generation != storageGeneration)
            return;  // the store was opened again since (setOptions()): that one reports
        const std::shared_ptr<bool> guard = alive;
        const QList<Error> errors = std::exchange(storageErrors, {});
        for (const Error &e : errors) {
            error = e;
            qCWarning(lcClient, "%s", qUtf8Printable(e.message()));
            Q_EMIT q->errorOccurred(e);
            if (!*guard)
                return;
        }
        Q_EMIT q->restored(count);
        if (*guard)
            process();
    }, Qt::QueuedConnection);
}

void ClientPrivate::closeStorage()
{
    if (!store)
        return;
    if (storageActive) {
        engine->flushPersistence(now());
        while (auto action = engine->pollAction()) {
            // Only the store matters now: the socket is being torn down with the client.
            if (auto *batch = std::get_if<Engine::PersistBatch>(&*action))
                store->submit(std::move(*batch));
        }
    }
    QObject::disconnect(store.get(), nullptr, q, nullptr);  // close() reports; nobody listens
    store->close();
    store.reset();
    storageActive = false;
}

void ClientPrivate::onPersisted(quint64 number, const QString &storeError)
{
    if (storeError.isEmpty()) {
        engine->handlePersisted(now(), number);
    } else {
        storageActive = false;
        engine->handlePersisted(now(), number,
                                Engine::Error::make(Engine::ErrorKind::Local, Engine::ErrorCode::StorageError,
                                                    storeError + QStringLiteral(" (running in memory)")));
    }
    process();
}

} // namespace Tether
