package io.qcow2j.s3.internal.http;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocketFactory;

/**
 * A minimal HTTP/1.1 client for one job: requests whose bytes the caller made (signed already),
 * sent on kept-alive connections, at most {@code maxConnections} at once. A request on a reused
 * connection that the server closed meanwhile (no byte of a response came) is sent once more on a
 * new one, as HTTP clients do for idempotent requests. Thread-safe.
 */
public final class ConnectionPool implements AutoCloseable {
    /** A reader waiting for a connection is not failing: wait long, but not forever. */
    private static final long POOL_WAIT_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Idle connections older than this are closed rather than reused: servers drop idle ones. */
    private static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(15);

    private final Semaphore permits;
    private final int maxConnections;
    private final int connectTimeoutMillis;
    private final SSLSocketFactory tlsFactory;
    private final boolean verifyHost;
    private final Watchdog watchdog;
    private final Map<Origin, ArrayDeque<Connection>> idle = new HashMap<>();
    private boolean closed;

    /**
     * @param idleTimeout  a response that sends no byte for this long is abandoned
     * @param tlsFactory   for https origins
     * @param verifyHost   whether the server's certificate must name the host
     */
    public ConnectionPool(int maxConnections, Duration connectTimeout, Duration idleTimeout,
                          SSLSocketFactory tlsFactory, boolean verifyHost) {
        this.maxConnections = maxConnections;
        this.permits = new Semaphore(maxConnections, true);
        this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, connectTimeout.toMillis()));
        this.tlsFactory = tlsFactory;
        this.verifyHost = verifyHost;
        this.watchdog = new Watchdog(idleTimeout);
    }

    /**
     * Sends {@code request} (a whole message head, its {@code Host} field included) to {@code uri}'s
     * origin and reads the response's head. The caller reads the body and closes the exchange.
     *
     * @param head     whether it is a HEAD request, whose answer has no body whatever its fields say
     * @param deadline the exchange is abandoned past this ({@link System#nanoTime()}), body included
     * @param onSend   run for every time the request goes out (twice for a stale connection)
     * @throws IOException the network's failure; a timeout says so in {@link Exchange#aborted()}'s
     *                     terms through {@link WatchdogException}
     */
    public Exchange send(URI uri, byte[] request, boolean head, long deadline, Runnable onSend) throws IOException {
        Origin origin = Origin.of(uri);
        acquire();
        Exchange x = new Exchange(this, head, deadline);
        watchdog.watch(x);
        boolean ok = false;
        try {
            for (int attempt = 0; ; attempt++) {
                Connection c = take(origin);
                boolean reused = c != null;
                if (c == null) {
                    c = Connection.open(origin, connectTimeoutMillis, tlsFactory, verifyHost);
                }
                x.attach(c);
                try {
                    onSend.run();
                    c.write(request);
                    x.readHead();
                    ok = true;
                    return x;
                } catch (IOException e) {
                    c.abort();
                    // a kept-alive connection the server had closed (reset, broken pipe, or the end of
                    // the stream before any byte of an answer): once more on a new one
                    if (!reused || attempt > 0 || x.answered() || x.aborted() != null
                            || Thread.currentThread().isInterrupted()) {
                        throw e; // as the watchdog's, below, if it ended the exchange
                    }
                }
            }
        } catch (IOException e) {
            throw rethrow(x, e);
        } finally {
            if (!ok) {
                x.abort(null);
                watchdog.forget(x);
                permits.release();
            }
        }
    }

    private static IOException rethrow(Exchange x, IOException e) {
        String why = x.aborted();
        return why == null || e instanceof WatchdogException ? e : new WatchdogException(why, e);
    }

    private void acquire() throws IOException {
        try {
            if (!permits.tryAcquire(POOL_WAIT_NANOS, TimeUnit.NANOSECONDS)) {
                throw new IOException("no connection of the " + maxConnections + " free within "
                        + POOL_WAIT_NANOS / 1_000_000_000 + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException ie = new InterruptedIOException("interrupted waiting for a connection");
            ie.initCause(e);
            throw ie;
        }
    }

    private synchronized Connection take(Origin origin) {
        ArrayDeque<Connection> q = idle.get(origin);
        long now = System.nanoTime();
        while (q != null && !q.isEmpty()) {
            Connection c = q.pollLast();
            if (now - c.idleSince < MAX_IDLE_NANOS && !c.isClosed()) {
                return c;
            }
            c.abort();
        }
        return null;
    }

    /** Ends an exchange: its connection back to the pool when {@code reusable}, else closed. */
    void finish(Exchange x, Connection c, boolean reusable) {
        watchdog.forget(x);
        try {
            if (c == null) {
                return;
            }
            if (reusable && !c.buffered() && !c.isClosed()) {
                c.idleSince = System.nanoTime();
                synchronized (this) {
                    if (!closed) {
                        idle.computeIfAbsent(c.origin, o -> new ArrayDeque<>()).addLast(c);
                        return;
                    }
                }
            }
            c.abort();
        } finally {
            permits.release();
        }
    }

    /** Closes the idle connections and stops the watchdog; exchanges still running fail. */
    @Override
    public void close() {
        List<Connection> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            idle.values().forEach(all::addAll);
            idle.clear();
        }
        all.forEach(Connection::abort);
        watchdog.close();
    }
}
