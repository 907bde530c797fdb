package io.qcow2j.s3.internal.http;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Ends exchanges past their deadline or idle for too long, by closing their connection: a blocked
 * socket-channel read has no timeout of its own. One daemon thread, started with the first exchange,
 * looks a few times per idle timeout; the exchanges only write a time stamp per read.
 */
final class Watchdog {
    private final long idleNanos;
    private final long tickMillis;
    private final Set<Exchange> watched = ConcurrentHashMap.newKeySet();
    private Thread thread;
    private volatile boolean closed;

    Watchdog(Duration idleTimeout) {
        this.idleNanos = Math.max(1, idleTimeout.toNanos());
        this.tickMillis = Math.max(10, Math.min(250, idleTimeout.toMillis() / 5));
    }

    void watch(Exchange x) {
        watched.add(x);
        synchronized (this) {
            if (thread == null && !closed) {
                thread = new Thread(this::run, "qcow2j-s3-watchdog");
                thread.setDaemon(true);
                thread.start();
            }
        }
    }

    void forget(Exchange x) {
        watched.remove(x);
    }

    private void run() {
        while (!closed) {
            try {
                Thread.sleep(tickMillis);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Exchange x : watched) {
                if (now - x.due > 0) {
                    x.abort(WatchdogException.DEADLINE);
                    watched.remove(x);
                } else if (now - x.lastProgress > idleNanos) {
                    x.abort("no byte for " + TimeUnit.NANOSECONDS.toMillis(idleNanos) / 1000.0 + " s");
                    watched.remove(x);
                }
            }
        }
    }

    void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            t.interrupt();
        }
    }
}
