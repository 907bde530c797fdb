package io.qcow2j.s3.internal.http;

import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import io.qcow2j.core.remote.NetworkFailure;

/**
 * One request and its response on a pooled connection: the status and header fields, then the body
 * read as the caller wants it. {@link #close} gives the connection back only when the body was read
 * to its end; otherwise the connection is closed (unread bytes would corrupt the next response).
 * Used by one thread; the {@link Watchdog} may abort it.
 */
public final class Exchange implements AutoCloseable {
    /** Most header fields in a response head: more is a broken or hostile server. */
    private static final int MAX_FIELDS = 256;

    private enum Framing { LENGTH, CHUNKED, UNTIL_CLOSE }

    private final ConnectionPool pool;
    /** A HEAD's answer has no body. */
    private final boolean head;
    /** When the deadline passes ({@link System#nanoTime()}). */
    final long due;
    /** The last time bytes arrived (or the request went out). */
    volatile long lastProgress;
    /** Why the watchdog closed the connection; null while it has not. */
    private volatile String aborted;
    private volatile Connection connection;
    private int status;
    private String reason;
    private final Map<String, String> fields = new HashMap<>();
    private boolean keepAlive;
    private Framing framing;
    /** LENGTH: body bytes not read yet; CHUNKED: bytes left in the current chunk. */
    private long left;
    private boolean chunkStarted;
    private boolean ended;
    private boolean closed;
    /** Whether a status line came: a request answered must not be sent again. */
    private boolean answered;

    Exchange(ConnectionPool pool, boolean head, long due) {
        this.pool = pool;
        this.head = head;
        this.due = due;
        this.lastProgress = System.nanoTime();
    }

    void attach(Connection c) {
        connection = c;
        if (aborted != null) {
            c.abort();
        }
    }

    /**
     * Closes the connection, so that a blocked read fails; {@code why} non-null from the watchdog.
     * Nothing once the exchange is closed: its connection may be another exchange's by then.
     */
    void abort(String why) {
        Connection c;
        synchronized (this) {
            if (closed) {
                return;
            }
            if (why != null) {
                aborted = why;
            }
            c = connection;
        }
        if (c != null) {
            c.abort();
        }
    }

    boolean answered() {
        return answered;
    }

    /** Why the watchdog ended this exchange (e.g. {@code no bytes for 30 s}); null when it did not. */
    public String aborted() {
        return aborted;
    }

    /** Reads the response's head; 1xx interim responses are skipped. */
    void readHead() throws IOException {
        Connection c = connection;
        boolean http10;
        while (true) {
            String statusLine = c.readLine();
            if (statusLine == null) {
                throw new EOFException("the connection closed before a response");
            }
            lastProgress = System.nanoTime();
            answered = true;
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12 || statusLine.charAt(8) != ' ') {
                throw new ProtocolException("not an HTTP/1.x status line: " + quote(statusLine));
            }
            try {
                status = Integer.parseInt(statusLine.substring(9, 12));
                reason = statusLine.substring(12).trim();
            } catch (NumberFormatException e) {
                throw new ProtocolException("not an HTTP/1.x status line: " + quote(statusLine));
            }
            http10 = statusLine.startsWith("HTTP/1.0");
            fields.clear();
            int count = 0;
            for (String line; !(line = headLine(c)).isEmpty(); ) {
                if (++count > MAX_FIELDS) {
                    throw new ProtocolException("more than " + MAX_FIELDS + " header fields in a response");
                }
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    throw new ProtocolException("not a header field: " + quote(line));
                }
                String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                fields.merge(name, value, (a, b) -> a + ", " + b);
            }
            if (status >= 200 || status < 100) {
                break;
            }
        }
        String connectionField = field("connection");
        String tokens = connectionField == null ? "" : connectionField.toLowerCase(Locale.ROOT);
        keepAlive = http10 ? tokens.contains("keep-alive") : !tokens.contains("close");
        String te = field("transfer-encoding");
        if (head || status == 204 || status == 304) {
            framing = Framing.LENGTH;
            left = 0;
        } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            framing = Framing.CHUNKED;
        } else if (field("content-length") != null) {
            framing = Framing.LENGTH;
            left = contentLength();
            if (left < 0) {
                throw new ProtocolException("invalid Content-Length " + quote(field("content-length")));
            }
        } else {
            framing = Framing.UNTIL_CLOSE;
            keepAlive = false;
        }
        ended = framing == Framing.LENGTH && left == 0;
    }

    private static String quote(String untrusted) {
        return "'" + NetworkFailure.oneLine(untrusted) + "'";
    }

    /** The response's status code. */
    public int status() {
        return status;
    }

    /** The status line's reason phrase (e.g. {@code Slow Down}), untrusted text; may be empty. */
    public String reason() {
        return reason;
    }

    /** A header field's value (repeated fields joined by {@code ", "}), or null; {@code name} in lower case. */
    public String field(String name) {
        return fields.get(name);
    }

    /** The Content-Length field's value; -1 when there is none or it is not a number. */
    public long contentLength() {
        String v = fields.get("content-length");
        if (v == null) {
            return -1;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Reads at most {@code max} body bytes into {@code dst} (straight from a plain socket).
     *
     * @return the bytes read, or -1 at the body's end (a connection that ends early ends it too:
     * the caller compares with what it asked for)
     * @throws WatchdogException when the watchdog ended the exchange (the read failed on the closed connection)
     */
    public int read(ByteBuffer dst, int max) throws IOException {
        try {
            return readBody(dst, max);
        } catch (IOException e) {
            String why = aborted;
            throw why == null || e instanceof WatchdogException ? e : new WatchdogException(why, e);
        }
    }

    private int readBody(ByteBuffer dst, int max) throws IOException {
        if (ended) {
            return -1;
        }
        Connection c = connection;
        int n;
        switch (framing) {
            case LENGTH -> {
                n = c.read(dst, (int) Math.min(max, left));
                if (n > 0) {
                    left -= n;
                    ended = left == 0;
                }
            }
            case CHUNKED -> {
                if (left == 0 && !nextChunk(c)) {
                    return -1;
                }
                n = c.read(dst, (int) Math.min(max, left));
                if (n > 0) {
                    left -= n;
                }
            }
            default -> n = c.read(dst, max);
        }
        if (n > 0) {
            lastProgress = System.nanoTime();
        } else if (n < 0) {
            keepAlive = false;
        }
        return n;
    }

    private static String headLine(Connection c) throws IOException {
        String line = c.readLine();
        if (line == null) {
            throw new EOFException("the connection ended inside the response's head");
        }
        return line;
    }

    /** Moves to the next chunk; false after the last one (and its trailer fields). */
    private boolean nextChunk(Connection c) throws IOException {
        if (chunkStarted) {
            String end = c.readLine();
            if (end == null || !end.isEmpty()) {
                throw new ProtocolException("a chunk of the response body does not end with CR LF");
            }
        }
        chunkStarted = true;
        String line = c.readLine();
        if (line == null) {
            throw new EOFException("the connection closed inside a chunked body");
        }
        int semicolon = line.indexOf(';');
        String size = (semicolon >= 0 ? line.substring(0, semicolon) : line).trim();
        try {
            left = Long.parseLong(size, 16);
        } catch (NumberFormatException e) {
            left = -1;
        }
        if (left < 0 || size.length() > 15) {
            throw new ProtocolException("invalid chunk size " + quote(line));
        }
        if (left == 0) {
            for (String t; (t = c.readLine()) != null && !t.isEmpty(); ) {
                // trailer fields: not used
            }
            ended = true;
            return false;
        }
        return true;
    }

    /** The rest of the body as text (UTF-8), at most {@code max} bytes of it: for error answers. */
    public String readText(int max) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(max);
        while (b.hasRemaining() && read(b, b.remaining()) >= 0) {
            // until the end or max
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    /** Gives the connection back when the body was read to its end and the server keeps it open; closes it otherwise. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        pool.finish(this, connection, ended && keepAlive && aborted == null);
    }
}
