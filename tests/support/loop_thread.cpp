// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "loop_thread.h"

#include <QtCore/QEventLoop>
#include <QtCore/QObject>

namespace Tether::Testing {

// Runs what is queued, on the loop's thread, when woken by a queued call by name: the call
// is then made and consumed inside QtCore (an event or a functor allocated here and read
// there would be a hand-off TSan cannot see).
class LoopThread::Waker : public QObject
{
    Q_OBJECT
public:
    explicit Waker(LoopThread *owner) : m_owner(owner) {}
    Q_INVOKABLE void drain() { m_owner->drain(); }

private:
    LoopThread *m_owner;
};

LoopThread::LoopThread()
{
    m_thread = std::thread([this] { loop(); });
    std::unique_lock<std::mutex> lock(m_mutex);
    m_changed.wait(lock, [this] { return m_waker != nullptr; });
}

LoopThread::~LoopThread()
{
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_quit = true;
    }
    wake();
    m_thread.join();
}

void LoopThread::run(std::function<void()> task)
{
    std::size_t ticket = 0;
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_tasks.push_back(std::move(task));
        ticket = ++m_posted;
    }
    wake();
    std::unique_lock<std::mutex> lock(m_mutex);
    m_changed.wait(lock, [&] { return m_done >= ticket; });
}

void LoopThread::wake()
{
    QMetaObject::invokeMethod(m_waker, "drain", Qt::QueuedConnection);
}

void LoopThread::loop()
{
    // QEventLoop gives this (adopted) thread its event dispatcher.
    QEventLoop loop;
    Waker waker(this);
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_loop = &loop;
        m_waker = &waker;
    }
    m_changed.notify_all();
    loop.exec();
}

void LoopThread::drain()
{
    for (;;) {
        std::function<void()> task;
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            if (m_tasks.empty()) {
                if (m_quit)
                    m_loop->quit();
                return;
            }
            task = std::move(m_tasks.front());
            m_tasks.pop_front();
        }
        task();
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            ++m_done;
        }
        m_changed.notify_all();
    }
}

} // namespace Tether::Testing

#include "loop_thread.moc"
