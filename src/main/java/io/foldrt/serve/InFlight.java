package io.foldrt.serve;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Counts the exchanges being handled, so that a graceful stop knows when the last one has answered. Once closing,
 * {@link #enter()} refuses: exchanges that still arrive on kept-alive connections are answered 503 instead of
 * starting work.
 */
final class InFlight {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private int count;
    private boolean closing;

    /** @return false when closing: the caller must not start work */
    boolean enter() {
        lock.lock();
        try {
            if (closing) return false;
            count++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Ends an exchange that {@link #enter()} admitted. */
    void exit() {
        lock.lock();
        try {
            if (--count == 0) idle.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** From now on {@link #enter()} refuses. */
    void beginClose() {
        lock.lock();
        try {
            closing = true;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until no admitted exchange is running; returns how many still are when the timeout passed (0 = drained). */
    int awaitIdle(Duration timeout) throws InterruptedException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (count > 0 && left > 0) left = idle.awaitNanos(left);
            return count;
        } finally {
            lock.unlock();
        }
    }

    int count() {
        lock.lock();
        try {
            return count;
        } finally {
            lock.unlock();
        }
    }

    boolean closing() {
        lock.lock();
        try {
            return closing;
        } finally {
            lock.unlock();
        }
    }
}
