package io.qcow2j.s3.internal.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on our own connections: a certificate the client trusts but made for another host is
 * refused unless host checks are off (the SDK's client refused it too), and a good one carries a
 * body.
 */
class ConnectionTlsTest {
    private static final char[] PASSWORD = "changeit".toCharArray();
    private static SSLContext trusting;
    private static SSLServerSocket server;

    @BeforeAll
    static void serve(@TempDir Path dir) throws Exception {
        Path store = dir.resolve("other-host.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "other", "-keyalg", "RSA",
                "-keysize", "2048", "-validity", "2", "-dname", "CN=other.example", "-ext", "SAN=dns:other.example",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit")
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), output);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(store)) {
            keys.load(in, PASSWORD);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(kmf.getKeyManagers(), null, null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(keys);
        trusting = SSLContext.getInstance("TLS");
        trusting.init(null, tmf.getTrustManagers(), null);
        server = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket(0, 10,
                InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                            StandardCharsets.ISO_8859_1));
                    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                        // the request's head
                    }
                    OutputStream out = s.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecret"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                } catch (Exception e) {
                    // a refused handshake: the next connection
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static ConnectionPool pool(boolean verifyHost) {
        return new ConnectionPool(2, Duration.ofSeconds(5), Duration.ofSeconds(5), trusting.getSocketFactory(),
                verifyHost);
    }

    private static Exchange get(ConnectionPool pool) throws Exception {
        URI uri = URI.create("https://127.0.0.1:" + server.getLocalPort() + "/x");
        return pool.send(uri, "GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1),
                false, System.nanoTime() + Duration.ofSeconds(10).toNanos(), () -> { });
    }

    @Test
    void aTrustedCertificateForAnotherHostIsRefused() {
        try (ConnectionPool pool = pool(true)) {
            SSLHandshakeException e = assertThrows(SSLHandshakeException.class, () -> get(pool));
            assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
        }
    }

    @Test
    void withoutHostChecksItIsAcceptedAndTheBodyArrivesIntoAnyBuffer() throws Exception {
        try (ConnectionPool pool = pool(false)) {
            for (ByteBuffer dst : new ByteBuffer[] {ByteBuffer.allocate(16), ByteBuffer.allocateDirect(16)}) {
                try (Exchange x = get(pool)) {
                    while (x.read(dst, 16) >= 0) {
                        // to the end
                    }
                }
                dst.flip();
                byte[] got = new byte[dst.remaining()];
                dst.get(got);
                assertEquals("secret", new String(got, StandardCharsets.ISO_8859_1));
            }
        }
    }
}
