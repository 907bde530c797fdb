package io.qcow2j.s3.internal.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ProtocolException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/1.1 client against a scripted server on loopback: what a real server and the network
 * do to it (connections closed while kept alive, chunked and unframed bodies, silence, hostile
 * heads), one script per connection.
 */
class ConnectionPoolTest {
    private static final byte[] GET = "GET /x HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] HEAD = "HEAD /x HTTP/1.1\r\nHost: test\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    /** What the server does on one connection: reads requests with {@code in}, answers on {@code out}. */
    private interface Script {
        void run(BufferedReader in, OutputStream out, int connection) throws Exception;
    }

    private ServerSocket server;
    private Thread acceptor;
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger mostOpen = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private ConnectionPool pool;
    private final AtomicInteger sends = new AtomicInteger();

    private URI serve(Script script) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return;
                }
                sockets.add(s);
                int n = accepted.incrementAndGet();
                mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
                Thread t = new Thread(() -> {
                    try (s) {
                        script.run(new BufferedReader(new InputStreamReader(s.getInputStream(),
                                StandardCharsets.ISO_8859_1)), s.getOutputStream(), n);
                    } catch (Exception e) {
                        // the client went away: the script's end
                    } finally {
                        open.decrementAndGet();
                    }
                });
                t.setDaemon(true);
                t.start();
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        pool = new ConnectionPool(4, Duration.ofSeconds(2), Duration.ofMillis(300),
                (SSLSocketFactory) SSLSocketFactory.getDefault(), true);
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/x");
    }

    @AfterEach
    void stop() throws IOException {
        if (pool != null) {
            pool.close();
        }
        if (server != null) {
            server.close();
        }
        for (Socket s : sockets) {
            s.close();
        }
    }

    /** Reads one request's head; false when the client closed the connection. */
    private static boolean request(BufferedReader in) throws IOException {
        String line = in.readLine();
        if (line == null) {
            return false;
        }
        while (!(line = in.readLine()).isEmpty()) {
            // fields: not needed
        }
        return true;
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private Exchange send(URI uri, byte[] request) throws IOException {
        return pool.send(uri, request, request == HEAD, System.nanoTime() + Duration.ofSeconds(20).toNanos(),
                sends::incrementAndGet);
    }

    private static String body(Exchange x) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(1 << 16);
        while (x.read(b, b.remaining()) >= 0) {
            // to the end
        }
        b.flip();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return new String(a, StandardCharsets.ISO_8859_1);
    }

    @Test
    void aKeptAliveConnectionTheServerClosedIsSentOnceMoreOnANewOne() throws Exception {
        URI uri = serve((in, out, n) -> {
            // each connection answers one request, then closes without saying so
            if (request(in)) {
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
            }
        });
        try (Exchange x = send(uri, GET)) {
            assertEquals("hello", body(x));
        }
        Thread.sleep(100); // the server's close reaches the client's socket
        try (Exchange x = send(uri, GET)) {
            assertEquals(200, x.status());
            assertEquals("hello", body(x));
        }
        assertEquals(3, sends.get(), "the first request, the second on the closed connection, and once more");
        assertEquals(2, accepted.get());
    }

    @Test
    void aRequestTheServerStartedToAnswerIsNotSentAgain() throws Exception {
        URI uri = serve((in, out, n) -> {
            if (request(in)) {
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
            }
            if (request(in)) {
                write(out, "HTTP/1.1 200 OK\r\nContent-Le"); // then the connection ends
            }
        });
        try (Exchange x = send(uri, GET)) {
            assertEquals("hello", body(x));
        }
        ProtocolException e = assertThrows(ProtocolException.class, () -> send(uri, GET));
        assertTrue(e.getMessage().contains("ended inside a line"), e.getMessage());
        assertEquals(2, sends.get());
        assertEquals(1, accepted.get());
    }

    @Test
    void aHeadCutBetweenFieldsIsAnEndOfStreamNotSentAgain() throws Exception {
        URI uri = serve((in, out, n) -> {
            if (request(in)) {
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n");
            }
        });
        java.io.EOFException e = assertThrows(java.io.EOFException.class, () -> send(uri, GET));
        assertEquals("the connection ended inside the response's head", e.getMessage());
        assertEquals(1, sends.get());
    }

    @Test
    void chunkedBodiesAreDecodedAndTheConnectionKept() throws Exception {
        URI uri = serve((in, out, n) -> {
            while (request(in)) {
                write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "4;ext=1\r\nabcd\r\n6\r\nefghij\r\n0\r\nTrailer: x\r\n\r\n");
            }
        });
        for (int i = 0; i < 3; i++) {
            try (Exchange x = send(uri, GET)) {
                assertEquals("abcdefghij", body(x));
            }
        }
        assertEquals(1, accepted.get(), "one connection, kept");
    }

    @Test
    void anUnframedHttp10BodyEndsWithTheConnectionWhichIsNotReused() throws Exception {
        URI uri = serve((in, out, n) -> {
            if (request(in)) {
                write(out, "HTTP/1.0 200 OK\r\n\r\nuntil the end");
            }
        });
        for (int i = 0; i < 2; i++) {
            try (Exchange x = send(uri, GET)) {
                assertEquals("until the end", body(x));
            }
        }
        assertEquals(2, accepted.get());
        assertEquals(2, sends.get());
    }

    @Test
    void aHeadAnswerHasNoBodyWhateverItsLengthSays() throws Exception {
        URI uri = serve((in, out, n) -> {
            while (request(in)) {
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nETag: \"t\"\r\n\r\n");
            }
        });
        for (int i = 0; i < 2; i++) {
            try (Exchange x = send(uri, HEAD)) {
                assertEquals(1000, x.contentLength());
                assertEquals("\"t\"", x.field("etag"));
                assertEquals(-1, x.read(ByteBuffer.allocate(10), 10));
            }
        }
        assertEquals(1, accepted.get(), "the connection is kept after a HEAD");
    }

    @Test
    void aBodyLeftUnreadClosesTheConnection() throws Exception {
        URI uri = serve((in, out, n) -> {
            while (request(in)) {
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789");
            }
        });
        try (Exchange x = send(uri, GET)) {
            ByteBuffer b = ByteBuffer.allocate(4);
            assertEquals(4, x.read(b, 4));
        }
        try (Exchange x = send(uri, GET)) {
            assertEquals("0123456789", body(x));
        }
        assertEquals(2, accepted.get(), "six unread bytes would have been the next answer's start");
    }

    @Test
    void hostileHeadsAreProtocolErrorsWithTheirTextEscaped() throws Exception {
        String[] answers = {
            "HTTP/1.1 2x0 \u001b[31mOK\r\n\r\n",
            "SSH-2.0-OpenSSH_9.6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nno colon \u0007here\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX: " + "y".repeat(Connection.MAX_LINE + 10) + "\r\n\r\n",
            "HTTP/1.1 200 OK\r\n" + "X: y\r\n".repeat(300) + "\r\n",
        };
        URI uri = serve((in, out, n) -> {
            if (request(in)) {
                write(out, answers[n - 1]);
            }
            Thread.sleep(2000);
        });
        String[] expected = {"not an HTTP/1.x status line", "not an HTTP/1.x status line", "not a header field",
            "invalid Content-Length", "longer than", "more than 256 header fields"};
        for (int i = 0; i < answers.length; i++) {
            String which = answers[i].substring(0, 20);
            ProtocolException e = assertThrows(ProtocolException.class, () -> send(uri, GET), which);
            String m = e.getMessage();
            assertTrue(m.contains(expected[i]), m);
            assertTrue(m.length() < 400, "bounded: " + m.length());
            assertTrue(m.chars().noneMatch(c -> c < 0x20), "escaped: " + m);
        }
        assertEquals(answers.length, sends.get(), "nothing sent again after an answer came");
    }

    @Test
    void aSilentServerIsAbandonedAfterTheIdleTimeoutAndATrickleAtTheDeadline() throws Exception {
        URI uri = serve((in, out, n) -> {
            request(in);
            if (n == 2) {
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
                for (int i = 0; i < 100; i++) {
                    write(out, "x");
                    Thread.sleep(100);
                }
            }
            Thread.sleep(10_000);
        });
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            long start = System.nanoTime();
            WatchdogException silent = assertThrows(WatchdogException.class, () -> send(uri, GET));
            assertTrue(silent.getMessage().startsWith("no byte for 0.3 s"), silent.getMessage());
            assertTrue(System.nanoTime() - start >= Duration.ofMillis(300).toNanos());
            // bytes every 100 ms: never idle for 300 ms, so only the deadline ends it
            Exchange x = pool.send(uri, GET, false, System.nanoTime() + Duration.ofMillis(800).toNanos(), () -> { });
            try (x) {
                WatchdogException late = assertThrows(WatchdogException.class, () -> body(x));
                assertEquals(WatchdogException.DEADLINE, late.getMessage());
                assertEquals(WatchdogException.DEADLINE, x.aborted());
            }
        });
    }

    @Test
    void aLargeBodyReadIntoAHeapBufferLeavesNoLargeDirectBufferBehind() throws Exception {
        int size = 4 << 20;
        URI uri = serve((in, out, n) -> {
            if (request(in)) {
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n");
                out.write(new byte[size]);
                out.flush();
            }
        });
        java.lang.management.BufferPoolMXBean direct = java.lang.management.ManagementFactory
                .getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).findFirst().orElseThrow();
        long before = direct.getMemoryUsed();
        ByteBuffer heap = ByteBuffer.allocate(size);
        try (Exchange x = send(uri, GET)) {
            while (heap.hasRemaining() && x.read(heap, heap.remaining()) >= 0) {
                // the JDK reads through a temporary direct buffer it keeps for this thread
            }
        }
        assertEquals(size, heap.position());
        long grown = direct.getMemoryUsed() - before;
        assertTrue(grown < (1 << 20), "direct memory grew by " + grown + " bytes");
    }

    @Test
    void noMoreConnectionsThanTheCeilingAreOpenAtOnce() throws Exception {
        URI uri = serve((in, out, n) -> {
            while (request(in)) {
                Thread.sleep(50);
                write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        ExecutorService threads = Executors.newFixedThreadPool(12);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                results.add(threads.submit(() -> {
                    try (Exchange x = send(uri, GET)) {
                        return body(x);
                    }
                }));
            }
            for (Future<String> r : results) {
                assertEquals("ok", r.get());
            }
        } finally {
            threads.shutdownNow();
        }
        assertTrue(mostOpen.get() <= 4, "at most the pool's 4 connections: " + mostOpen.get());
        assertTrue(accepted.get() <= 4, "connections reused: " + accepted.get());
        assertEquals(48, sends.get());
        assertFalse(mostOpen.get() < 2, "the requests ran in parallel");
    }
}
