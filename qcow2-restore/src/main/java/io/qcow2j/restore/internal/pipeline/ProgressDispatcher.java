package io.qcow2j.restore.internal.pipeline;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * Delivers progress to the caller's listener from a thread of its own, never from a worker: a slow
 * listener (a terminal, a log shipper) only makes the reports it sees coarser, it never holds up a
 * worker. Each delivery carries the latest count, which never decreases; the last one, made by
 * {@link #close()}, carries the final count.
 */
final class ProgressDispatcher implements AutoCloseable {
    /** How long the delivering thread sleeps when nothing changed. */
    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final LongConsumer listener;
    private final AtomicLong done = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;
    private long delivered;

    /** @param listener receives the guest bytes finished so far; null for none */
    ProgressDispatcher(LongConsumer listener, ThreadFactory threads) {
        this.listener = listener;
        this.thread = listener == null ? null : threads.newThread(this::deliverLoop);
        if (thread != null) {
            thread.start();
        }
    }

    void add(long n) {
        done.addAndGet(n);
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }

    long done() {
        return done.get();
    }

    private void deliverLoop() {
        while (!closed) {
            if (!deliver()) {
                LockSupport.parkNanos(this, IDLE_NANOS);
            }
        }
    }

    /** Delivers the count if it grew; returns whether it did. */
    private synchronized boolean deliver() {
        long v = done.get();
        if (v <= delivered) {
            return false;
        }
        delivered = v;
        listener.accept(v);
        return true;
    }

    /** Stops the delivering thread, then delivers the final count on the calling thread. */
    @Override
    public void close() {
        if (thread == null) {
            return;
        }
        closed = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        deliver();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
