package io.qcow2j.s3.internal.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One HTTP/1.1 connection, plain or TLS, with a small read buffer for message heads. Plain bodies
 * are read from the socket straight into the caller's buffer (no copy in user space: the point of
 * this transport); TLS bodies pass through the TLS socket's stream. Used by one thread at a time;
 * {@link #abort} may come from another (the watchdog) and makes a blocked read fail.
 */
final class Connection {
    /** Longest line of a message head (status line, header field, chunk size). */
    static final int MAX_LINE = 16 << 10;
    /** Most bytes of one socket read into a heap buffer. */
    private static final int HEAP_READ = 64 << 10;

    final Origin origin;
    private final SocketChannel channel;
    private final Socket tls;
    private final InputStream tlsIn;
    private final OutputStream out;
    /** Bytes read past what was consumed: {@code buf[rpos, wpos)}. */
    private final byte[] buf = new byte[16 << 10];
    private int rpos;
    private int wpos;
    /** {@link System#nanoTime()} when it went back to the pool. */
    long idleSince;
    private volatile boolean closed;

    private Connection(Origin origin, SocketChannel channel, Socket tls) throws IOException {
        this.origin = origin;
        this.channel = channel;
        this.tls = tls;
        if (tls != null) {
            tlsIn = tls.getInputStream();
            out = tls.getOutputStream();
        } else {
            tlsIn = null;
            out = null;
        }
    }

    /** Connects within {@code connectTimeoutMillis}; TLS shakes hands within it too. */
    static Connection open(Origin origin, int connectTimeoutMillis, SSLSocketFactory tlsFactory, boolean verifyHost)
            throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            Socket s = ch.socket();
            s.setTcpNoDelay(true);
            s.setKeepAlive(true);
            s.connect(new InetSocketAddress(origin.host(), origin.port()), connectTimeoutMillis);
            if (!origin.tls()) {
                return new Connection(origin, ch, null);
            }
            // the TLS socket layered on the connected one: SNI and the host name check use origin.host()
            SSLSocket t = (SSLSocket) tlsFactory.createSocket(s, origin.host(), origin.port(), true);
            if (verifyHost) {
                SSLParameters p = t.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                t.setSSLParameters(p);
            }
            t.setSoTimeout(connectTimeoutMillis);
            t.startHandshake();
            t.setSoTimeout(0);
            return new Connection(origin, null, t);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    void write(byte[] request) throws IOException {
        if (channel != null) {
            ByteBuffer b = ByteBuffer.wrap(request);
            while (b.hasRemaining()) {
                channel.write(b);
            }
        } else {
            out.write(request);
            out.flush();
        }
    }

    /** Whether buffered bytes are waiting to be read. */
    boolean buffered() {
        return rpos < wpos;
    }

    /**
     * Reads at most {@code max} bytes into {@code dst}: buffered bytes first, then from the socket
     * into {@code dst} itself. -1 at the end of the stream.
     */
    int read(ByteBuffer dst, int max) throws IOException {
        int want = Math.min(max, dst.remaining());
        if (want == 0) {
            return 0;
        }
        if (rpos < wpos) {
            int n = Math.min(want, wpos - rpos);
            dst.put(buf, rpos, n);
            rpos += n;
            return n;
        }
        if (channel != null) {
            if (!dst.isDirect()) {
                // the JDK reads a heap buffer through a temporary direct one of the same size, which it
                // keeps per thread: bounded here, or a 4 MiB read would leave 4 MiB behind per thread
                want = Math.min(want, HEAP_READ);
            }
            int limit = dst.limit();
            dst.limit(dst.position() + want);
            try {
                return channel.read(dst);
            } finally {
                dst.limit(limit);
            }
        }
        if (dst.hasArray()) {
            int n = tlsIn.read(dst.array(), dst.arrayOffset() + dst.position(), want);
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }
        rpos = wpos = 0;
        int n = tlsIn.read(buf, 0, Math.min(want, buf.length));
        if (n > 0) {
            dst.put(buf, 0, n);
        }
        return n;
    }

    /**
     * The next line without its CR LF (a bare LF ends one too), as ISO-8859-1; null when the stream
     * ends before any byte of it.
     *
     * @throws java.net.ProtocolException when the line is longer than {@link #MAX_LINE} or the stream ends inside it
     */
    String readLine() throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            for (int i = rpos; i < wpos; i++) {
                if (buf[i] == '\n') {
                    line.append(new String(buf, rpos, i - rpos, StandardCharsets.ISO_8859_1));
                    rpos = i + 1;
                    int end = line.length();
                    if (end > 0 && line.charAt(end - 1) == '\r') {
                        line.setLength(--end);
                    }
                    if (end > MAX_LINE) {
                        throw tooLong();
                    }
                    return line.toString();
                }
            }
            line.append(new String(buf, rpos, wpos - rpos, StandardCharsets.ISO_8859_1));
            rpos = wpos = 0;
            if (line.length() > MAX_LINE) {
                throw tooLong();
            }
            if (fill() < 0) {
                if (line.length() == 0) {
                    return null;
                }
                throw new java.net.ProtocolException("the connection ended inside a line of the response's head");
            }
        }
    }

    private static java.net.ProtocolException tooLong() {
        return new java.net.ProtocolException("a line of the response's head is longer than " + MAX_LINE + " bytes");
    }

    /** Reads what the socket has into the empty buffer; -1 at the end of the stream. */
    private int fill() throws IOException {
        int n;
        if (channel != null) {
            n = channel.read(ByteBuffer.wrap(buf, 0, buf.length));
        } else {
            n = tlsIn.read(buf, 0, buf.length);
        }
        if (n > 0) {
            wpos = n;
        }
        return n;
    }

    /** Whether it was aborted, or its socket closed otherwise (an interrupt closes a channel). */
    boolean isClosed() {
        return closed || channel != null && !channel.isOpen() || tls != null && tls.isClosed();
    }

    /** Closes the socket; a read blocked on it fails. Safe from any thread, more than once. */
    void abort() {
        closed = true;
        try {
            if (tls != null) {
                tls.close();
            }
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // closing: nothing left to do with it
        }
    }
}
