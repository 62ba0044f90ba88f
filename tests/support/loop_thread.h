// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// An event loop on a thread of its own, driven by closures: run(task) executes `task` on
// that thread and returns once it has. Objects made by a task live on that thread.
//
// Why not QThread + a BlockingQueuedConnection: Debian's Qt is not built for
// ThreadSanitizer, so the hand-offs inside QtCore (QThread::start, the queued call's
// semaphore) are invisible to it, and every capture the caller reads after the call looks
// like a race (tests/tsan.supp). Here every hand-off goes through std::thread, std::mutex
// and std::condition_variable, which TSan sees; QtCore carries only a wake-up call by name.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

class QEventLoop;

namespace Tether::Testing {

class LoopThread
{
public:
    LoopThread();
    ~LoopThread();  // the loop quits after the tasks already run; the thread is joined
    LoopThread(const LoopThread &) = delete;
    LoopThread &operator=(const LoopThread &) = delete;

    void run(std::function<void()> task);

private:
    class Waker;
    void loop();
    void drain();
    void wake();

    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<std::function<void()>> m_tasks;
    std::size_t m_posted = 0;
    std::size_t m_done = 0;
    bool m_quit = false;
    Waker *m_waker = nullptr;      // lives on the thread, set once its loop exists
    QEventLoop *m_loop = nullptr;  // idem
    std::thread m_thread;
};

} // namespace Tether::Testing
