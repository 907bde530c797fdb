package io.qcow2j.core.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-process TCP relay in front of a plain-HTTP server (S3Proxy) that injects faults and counts
 * what passes: connections, requests (with their headers), and bytes sent to the client. It reads
 * the request side as HTTP/1.1 (request heads and {@code Content-Length} bodies) so it can count
 * and answer requests itself; responses are relayed as bytes.
 *
 * <p>Faults apply to connections or requests that arrive after they are set: cut the next N
 * connections (or every Kth) after a number of response bytes, by RST, by FIN, or by going silent;
 * answer the next N requests with an S3 {@code 503 SlowDown} error without forwarding them; pace
 * responses to a byte rate; trickle the next N connections' responses a byte at a time; and act as a
 * store that ignores a header (removed from requests before they are forwarded) or that does not
 * send one (removed from response heads, which are then parsed too).
 */
public final class FaultProxy implements AutoCloseable {
    /** How a connection is cut. */
    public enum Cut {
        /** TCP reset (SO_LINGER 0): "connection reset" at the client. */
        RESET,
        /** Orderly close (FIN): the body ends short of its Content-Length. */
        CLOSE,
        /** Nothing more is sent, the connection stays open: the client's read timeout fires. */
        STALL
    }

    /**
     * One request as the client sent it.
     *
     * @param method  e.g. {@code GET}
     * @param target  the request target, e.g. {@code /bucket/key}
     * @param headers header names (case-insensitive) to values
     * @param answered whether the proxy answered it itself (503 SlowDown) instead of forwarding it
     */
    public record Request(String method, String target, Map<String, String> headers, boolean answered) {
        /** The value of header {@code name}, or null. */
        public String header(String name) {
            return headers.get(name);
        }
    }

    private static final byte[] SLOW_DOWN_BODY = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
            + "<Message>Please reduce your request rate.</Message><RequestId>FAULTPROXY</RequestId></Error>")
            .getBytes(StandardCharsets.UTF_8);

    private final String upstreamHost;
    private final int upstreamPort;
    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong bytesToClient = new AtomicLong();
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean closed;

    // fault settings, guarded by this
    private int cutCount;
    private int cutEvery;
    private int cutEveryBase;
    private long cutAfter;
    private Cut cutHow = Cut.RESET;
    private int slowDowns;
    private int trickleCount;
    private long trickleNanos;
    private long trickleAfter;
    private java.util.function.Predicate<Request> hookWhen;
    private Runnable hookAction;
    private volatile long bytesPerSecond;
    private volatile long requestDelayNanos;
    /** Requests forwarded whose answer has not begun, and the most of them at once. */
    private final AtomicInteger awaitingAnswer = new AtomicInteger();
    private final AtomicInteger maxAwaitingAnswer = new AtomicInteger();
    private final Set<String> stripRequest = ConcurrentHashMap.newKeySet();
    private final Set<String> stripResponse = ConcurrentHashMap.newKeySet();

    private FaultProxy(URI upstream) throws IOException {
        this.upstreamHost = upstream.getHost();
        this.upstreamPort = upstream.getPort();
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "fault-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy to {@code upstream} ({@code http://host:port}) on a free loopback port. */
    public static FaultProxy start(URI upstream) throws IOException {
        if (!"http".equals(upstream.getScheme())) {
            throw new IllegalArgumentException("FaultProxy relays plain HTTP only, not " + upstream);
        }
        return new FaultProxy(upstream);
    }

    /** {@code http://127.0.0.1:PORT}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** Cuts the next {@code count} connections by RST after {@code afterResponseBytes} bytes of response. */
    public FaultProxy cutConnections(int count, long afterResponseBytes) {
        return cutConnections(count, afterResponseBytes, Cut.RESET);
    }

    /** Cuts the next {@code count} connections {@code how}, after {@code afterResponseBytes} bytes of response. */
    public synchronized FaultProxy cutConnections(int count, long afterResponseBytes, Cut how) {
        cutCount = count;
        cutEvery = 0;
        cutAfter = afterResponseBytes;
        cutHow = how;
        return this;
    }

    /** Cuts every {@code k}th connection from now (1 = all) {@code how}, after {@code afterResponseBytes}. */
    public synchronized FaultProxy cutEveryKthConnection(int k, long afterResponseBytes, Cut how) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1");
        }
        cutCount = 0;
        cutEvery = k;
        cutEveryBase = connections.get();
        cutAfter = afterResponseBytes;
        cutHow = how;
        return this;
    }

    /** Answers the next {@code count} requests with {@code 503 SlowDown} instead of forwarding them. */
    public synchronized FaultProxy slowDown(int count) {
        slowDowns = count;
        return this;
    }

    /**
     * Holds every request for {@code delay} before forwarding it, as a remote store's round trip
     * would; {@link Duration#ZERO} for none.
     */
    public FaultProxy delayRequests(java.time.Duration delay) {
        requestDelayNanos = delay.toNanos();
        return this;
    }

    /**
     * The most requests that were at once forwarded (or being delayed) and not yet answered: the
     * client's requests in flight, at least as the server saw them. An HTTP/1.1 client without
     * pipelining has one per connection at most.
     */
    public int maxRequestsInFlight() {
        return maxAwaitingAnswer.get();
    }

    /** Paces response bytes to {@code rate} per second on each connection; 0 for full speed. */
    public FaultProxy throttle(long rate) {
        bytesPerSecond = rate;
        return this;
    }

    /**
     * The next {@code count} connections send their first {@code afterBytes} response bytes at full
     * speed, then one byte every {@code interval}: never silent long enough for a read timeout.
     */
    public synchronized FaultProxy trickle(int count, java.time.Duration interval, long afterBytes) {
        trickleCount = count;
        trickleNanos = interval.toNanos();
        trickleAfter = afterBytes;
        return this;
    }

    /**
     * Removes header {@code name} from requests before forwarding them: a store that ignores it. The
     * server must not check signatures ((e.g. qcow2-s3's {@code S3ProxyServer.startWithoutAuthorization()})): SigV4
     * signs most headers. {@link #requests()} records them as the client sent them.
     */
    public FaultProxy stripRequestHeader(String name) {
        stripRequest.add(name.toLowerCase(java.util.Locale.ROOT));
        return this;
    }

    /** Removes header {@code name} from responses of connections made from now on. */
    public FaultProxy stripResponseHeader(String name) {
        stripResponse.add(name.toLowerCase(java.util.Locale.ROOT));
        return this;
    }

    /**
     * Runs {@code action} once, before forwarding the first request from now on that {@code when}
     * accepts (e.g. to replace an object while a restore reads it).
     */
    public synchronized FaultProxy onceBefore(java.util.function.Predicate<Request> when, Runnable action) {
        hookWhen = when;
        hookAction = action;
        return this;
    }

    private synchronized Runnable takeHook(Request r) {
        if (hookWhen != null && hookWhen.test(r)) {
            Runnable a = hookAction;
            hookWhen = null;
            hookAction = null;
            return a;
        }
        return null;
    }

    /** Removes every fault (counters are kept). */
    public synchronized FaultProxy clearFaults() {
        cutCount = cutEvery = slowDowns = trickleCount = 0;
        bytesPerSecond = 0;
        stripRequest.clear();
        stripResponse.clear();
        return this;
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** Bytes sent to clients: relayed responses and the proxy's own answers. */
    public long bytesToClient() {
        return bytesToClient.get();
    }

    /** Every request seen so far, in arrival order. */
    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** Requests seen so far. */
    public int requestCount() {
        return requests.size();
    }

    private synchronized Cut faultForNewConnection(int number) {
        if (cutCount > 0) {
            cutCount--;
            return cutHow;
        }
        return cutEvery > 0 && (number - cutEveryBase) % cutEvery == 0 ? cutHow : null;
    }

    private synchronized long takeTrickle() {
        if (trickleCount > 0) {
            trickleCount--;
            return trickleNanos;
        }
        return 0;
    }

    private synchronized long trickleAfter() {
        return trickleAfter;
    }

    private synchronized long cutAfter() {
        return cutAfter;
    }

    private synchronized boolean takeSlowDown() {
        if (slowDowns > 0) {
            slowDowns--;
            return true;
        }
        return false;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            Cut fault = faultForNewConnection(connections.incrementAndGet());
            long after = cutAfter();
            long trickleAfterBytes = trickleAfter();
            long trickle = takeTrickle();
            Set<String> strip = Set.copyOf(stripResponse);
            java.util.concurrent.BlockingQueue<String> methods = new java.util.concurrent.LinkedBlockingQueue<>();
            Socket upstream;
            try {
                client.setTcpNoDelay(true);
                upstream = new Socket(upstreamHost, upstreamPort);
                upstream.setTcpNoDelay(true);
            } catch (IOException e) {
                closeQuietly(client);
                continue;
            }
            open.add(client);
            open.add(upstream);
            Object clientWrites = new Object();
            java.util.concurrent.atomic.AtomicBoolean waiting = new java.util.concurrent.atomic.AtomicBoolean();
            start(() -> relayRequests(client, upstream, clientWrites, methods, waiting), "fault-proxy-requests");
            if (!strip.isEmpty()) {
                start(() -> {
                    try {
                        relayResponseHeads(upstream, client, strip, methods);
                    } finally {
                        answered(waiting);
                    }
                }, "fault-proxy-responses");
            } else {
                start(() -> relayResponses(upstream, client, clientWrites, fault, after, trickle, trickleAfterBytes,
                        waiting), "fault-proxy-responses");
            }
        }
    }

    private static void start(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    /** Client to server: one HTTP request at a time, counted, recorded, forwarded or answered. */
    private void relayRequests(Socket client, Socket upstream, Object clientWrites,
                               java.util.Queue<String> methods, java.util.concurrent.atomic.AtomicBoolean waiting) {
        try {
            InputStream in = new BufferedInputStream(client.getInputStream());
            OutputStream up = upstream.getOutputStream();
            RequestHead head;
            while ((head = RequestHead.read(in)) != null) {
                boolean chunked = head.chunked();
                long length = head.contentLength();
                boolean slowDown = takeSlowDown();
                Request request = new Request(head.method, head.target, head.headers, slowDown);
                requests.add(request);
                Runnable hook = takeHook(request);
                if (hook != null) {
                    hook.run();
                }
                if (slowDown) {
                    // a body the client waits to send (100-continue) or cannot be skipped: close after answering
                    boolean close = chunked || head.headers.containsKey("Expect");
                    if (!close) {
                        in.skipNBytes(length);
                    }
                    answerSlowDown(client, clientWrites, "HEAD".equals(head.method), close);
                    if (close) {
                        break;
                    }
                    continue;
                }
                if (waiting.compareAndSet(false, true)) {
                    maxAwaitingAnswer.accumulateAndGet(awaitingAnswer.incrementAndGet(), Math::max);
                }
                long delay = requestDelayNanos;
                if (delay > 0) {
                    try {
                        Thread.sleep(delay / 1_000_000, (int) (delay % 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("delay interrupted");
                    }
                }
                methods.add(head.method);
                up.write(stripRequest.isEmpty() ? head.raw : withoutHeaders(head.raw, stripRequest));
                if (chunked) {
                    in.transferTo(up); // rare here; no more parsing on this connection
                    break;
                }
                copy(in, up, length);
                up.flush();
            }
            upstream.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    private void answerSlowDown(Socket client, Object clientWrites, boolean head, boolean close) throws IOException {
        String status = "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: "
                + SLOW_DOWN_BODY.length + "\r\nx-amz-request-id: FAULTPROXY\r\n"
                + (close ? "Connection: close\r\n" : "") + "\r\n";
        ByteArrayOutputStream response = new ByteArrayOutputStream();
        response.write(status.getBytes(StandardCharsets.ISO_8859_1));
        if (!head) {
            response.write(SLOW_DOWN_BODY);
        }
        synchronized (clientWrites) {
            client.getOutputStream().write(response.toByteArray());
            client.getOutputStream().flush();
        }
        bytesToClient.addAndGet(response.size());
        if (close) {
            client.shutdownOutput();
        }
    }

    /** Server to client: bytes as they come, paced, counted, cut when the fault says so. */
    /** {@code head} (an HTTP head, CRLF lines) without the headers named in {@code names} (lower case). */
    private static byte[] withoutHeaders(byte[] head, Set<String> names) {
        StringBuilder out = new StringBuilder();
        for (String line : new String(head, StandardCharsets.ISO_8859_1).split("\r\n", -1)) {
            int colon = line.indexOf(':');
            if (colon > 0 && names.contains(line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT))) {
                continue;
            }
            out.append(line).append("\r\n");
        }
        out.setLength(out.length() - 2); // the split's last, empty element
        return out.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Server to client, response by response: each head without the stripped headers, then its body
     * (none after HEAD, 1xx, 204 and 304; Content-Length bytes otherwise; the rest of the stream if chunked).
     */
    private void relayResponseHeads(Socket upstream, Socket client, Set<String> strip,
                                    java.util.concurrent.BlockingQueue<String> methods) {
        try {
            InputStream in = new BufferedInputStream(upstream.getInputStream());
            OutputStream out = client.getOutputStream();
            RequestHead head; // a response head parses the same way: a first line, then headers
            while ((head = RequestHead.read(in)) != null) {
                int status = Integer.parseInt(head.target);
                byte[] rewritten = withoutHeaders(head.raw, strip);
                out.write(rewritten);
                bytesToClient.addAndGet(rewritten.length);
                if (status >= 100 && status < 200) {
                    out.flush();
                    continue; // the final response follows, for the same request
                }
                String method = methods.take();
                if (head.chunked()) {
                    bytesToClient.addAndGet(in.transferTo(out));
                    break;
                }
                long length = method.equals("HEAD") || status == 204 || status == 304 ? 0 : head.contentLength();
                copy(in, out, length);
                bytesToClient.addAndGet(length);
                out.flush();
            }
            client.shutdownOutput();
        } catch (IOException | InterruptedException | RuntimeException e) {
            closeQuietly(client);
            closeQuietly(upstream);
        } finally {
            open.remove(client);
            open.remove(upstream);
        }
    }

    private void relayResponses(Socket upstream, Socket client, Object clientWrites, Cut fault, long cutAfter,
                                long trickleNanos, long trickleAfter, java.util.concurrent.atomic.AtomicBoolean waiting) {
        long sent = 0;
        long started = System.nanoTime();
        try {
            InputStream in = upstream.getInputStream();
            OutputStream out = client.getOutputStream();
            byte[] buf = new byte[16 << 10];
            int n;
            while ((n = in.read(buf)) > 0) {
                answered(waiting);
                int off = 0;
                while (off < n) {
                    int len = n - off;
                    long rate = bytesPerSecond;
                    if (rate > 0) {
                        len = (int) Math.max(1, Math.min(len, rate / 50));
                    }
                    if (trickleNanos > 0 && sent >= trickleAfter) {
                        len = 1;
                        Thread.sleep(trickleNanos / 1_000_000, (int) (trickleNanos % 1_000_000));
                    } else if (trickleNanos > 0) {
                        len = (int) Math.min(len, trickleAfter - sent);
                    }
                    if (fault != null && sent + len >= cutAfter) {
                        len = (int) (cutAfter - sent);
                    }
                    synchronized (clientWrites) {
                        out.write(buf, off, len);
                        out.flush();
                    }
                    off += len;
                    sent += len;
                    bytesToClient.addAndGet(len);
                    if (fault != null && sent >= cutAfter) {
                        cut(client, upstream, fault);
                        return;
                    }
                    if (rate > 0) {
                        pace(sent, rate, started);
                    }
                }
            }
            client.shutdownOutput();
        } catch (IOException | InterruptedException e) {
            closeQuietly(client);
            closeQuietly(upstream);
        } finally {
            answered(waiting);
            if (fault == null || fault != Cut.STALL) {
                open.remove(client);
                open.remove(upstream);
            }
        }
    }

    /** The connection's request, if one waited, has its answer (or never will). */
    private void answered(java.util.concurrent.atomic.AtomicBoolean waiting) {
        if (waiting.compareAndSet(true, false)) {
            awaitingAnswer.decrementAndGet();
        }
    }

    private void cut(Socket client, Socket upstream, Cut how) throws IOException {
        switch (how) {
            case RESET -> {
                client.setSoLinger(true, 0);
                client.close();
                upstream.close();
            }
            case CLOSE -> {
                client.close();
                upstream.close();
            }
            case STALL -> {
                // silence until the client gives up (its request thread then closes both) or we close
                while (!closed && !client.isClosed()) {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                closeQuietly(client);
                closeQuietly(upstream);
            }
        }
    }

    private static void pace(long sent, long rate, long started) {
        long due = started + sent * 1_000_000_000L / rate;
        long wait = due - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void copy(InputStream in, OutputStream out, long length) throws IOException {
        byte[] buf = new byte[16 << 10];
        long left = length;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new SocketException("connection closed inside a request body");
            }
            out.write(buf, 0, n);
            left -= n;
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    /** Stops accepting and closes every open connection. */
    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : open) {
            closeQuietly(s);
        }
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
