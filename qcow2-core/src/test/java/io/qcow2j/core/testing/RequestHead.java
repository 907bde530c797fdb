package io.qcow2j.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** One HTTP/1.1 request head as read off the wire, for {@link FaultProxy}. */
final class RequestHead {
    private static final int MAX_HEAD = 64 << 10;

    final byte[] raw;
    final String method;
    final String target;
    final Map<String, String> headers;

    private RequestHead(byte[] raw, String method, String target, Map<String, String> headers) {
        this.raw = raw;
        this.method = method;
        this.target = target;
        this.headers = headers;
    }

    /** The next head on {@code in}; null at a clean end of stream. */
    static RequestHead read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(512);
        int last4 = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            last4 = last4 << 8 | b;
            if (last4 == 0x0d0a0d0a) {
                return parse(head.toByteArray());
            }
            if (head.size() > MAX_HEAD) {
                throw new IOException("request head over " + MAX_HEAD + " bytes");
            }
        }
        if (head.size() > 0) {
            throw new SocketException("connection closed inside a request head");
        }
        return null;
    }

    private static RequestHead parse(byte[] raw) {
        String[] lines = new String(raw, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] requestLine = lines[0].split(" ");
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
            }
        }
        return new RequestHead(raw, requestLine[0], requestLine.length > 1 ? requestLine[1] : "",
                Collections.unmodifiableMap(headers));
    }

    boolean chunked() {
        return headers.getOrDefault("Transfer-Encoding", "").toLowerCase(Locale.ROOT).contains("chunked");
    }

    long contentLength() {
        return Long.parseLong(headers.getOrDefault("Content-Length", "0").trim());
    }
}
