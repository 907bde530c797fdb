package io.qcow2j.s3.internal.http;

import java.net.URI;
import java.util.Locale;

/** Where a connection goes: scheme, host and port, the key its pooled connections are kept under. */
record Origin(boolean tls, String host, int port) {
    /** @throws IllegalArgumentException when {@code uri} is not an absolute http or https URI with a host */
    static Origin of(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("not an http or https URI with a host: " + uri);
        }
        boolean tls = scheme.equals("https");
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new Origin(tls, host, uri.getPort() >= 0 ? uri.getPort() : tls ? 443 : 80);
    }
}
