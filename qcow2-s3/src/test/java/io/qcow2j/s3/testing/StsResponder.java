package io.qcow2j.s3.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A stand-in for AWS STS on loopback, the one stand-in the tests allow (no STS server runs here):
 * it answers {@code AssumeRoleWithWebIdentity} and {@code AssumeRole} with the key pair that
 * {@link S3ProxyServer} accepts and a session token, after checking the request: the action, the
 * role ARN, the web identity token (or, for {@code AssumeRole}, that the request is signed with the
 * source profile's access key). Anything else gets STS's {@code AccessDenied}. Every call is recorded.
 */
public final class StsResponder implements AutoCloseable {
    /** The session token it hands out; S3 requests signed with its key pair carry it. */
    public static final String SESSION_TOKEN = "qcow2j-sts-session-token";

    /** One request: its form parameters and its Authorization header (or null). */
    public record Call(Map<String, String> params, String authorization) {
        public String param(String name) {
            return params.get(name);
        }
    }

    private final HttpServer server;
    private final String roleArn;
    private final String token;
    private final String sourceAccessKey;
    private final List<Call> calls = Collections.synchronizedList(new ArrayList<>());

    private StsResponder(String roleArn, String token, String sourceAccessKey) throws IOException {
        this.roleArn = roleArn;
        this.token = token;
        this.sourceAccessKey = sourceAccessKey;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * Accepts role {@code roleArn} for web identity token {@code token}, or assumed with credentials
     * whose access key is {@code sourceAccessKey} (null: AssumeRole is refused).
     */
    public static StsResponder start(String roleArn, String token, String sourceAccessKey) throws IOException {
        return new StsResponder(roleArn, token, sourceAccessKey);
    }

    /** {@code http://127.0.0.1:PORT}, for {@code AWS_ENDPOINT_URL_STS}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The requests so far. */
    public List<Call> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    private void handle(HttpExchange x) throws IOException {
        Map<String, String> params = new LinkedHashMap<>();
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        String authorization = x.getRequestHeaders().getFirst("Authorization");
        calls.add(new Call(params, authorization));
        String action = params.getOrDefault("Action", "");
        String refusal = null;
        if (!"POST".equals(x.getRequestMethod())) {
            refusal = "not a POST";
        } else if (!roleArn.equals(params.get("RoleArn"))) {
            refusal = "unknown role " + params.get("RoleArn");
        } else if (action.equals("AssumeRoleWithWebIdentity")) {
            if (!token.equals(params.get("WebIdentityToken"))) {
                refusal = "invalid web identity token";
            }
        } else if (action.equals("AssumeRole")) {
            if (sourceAccessKey == null || authorization == null
                    || !authorization.contains("Credential=" + sourceAccessKey + "/")) {
                refusal = "AssumeRole not signed with the source profile's key";
            }
        } else {
            refusal = "unexpected action " + action;
        }
        if (params.get("RoleSessionName") == null || params.get("RoleSessionName").isEmpty()) {
            refusal = "no RoleSessionName";
        }
        String xml;
        int status;
        if (refusal != null) {
            status = 403;
            xml = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
                    + "<Code>AccessDenied</Code><Message>" + refusal + "</Message></Error>"
                    + "<RequestId>qcow2j-sts</RequestId></ErrorResponse>";
        } else {
            status = 200;
            String expiration = Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS).toString();
            xml = "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action + "Result>"
                    + "<Credentials><AccessKeyId>" + S3ProxyServer.ACCESS_KEY + "</AccessKeyId><SecretAccessKey>"
                    + S3ProxyServer.SECRET_KEY + "</SecretAccessKey><SessionToken>" + SESSION_TOKEN
                    + "</SessionToken><Expiration>" + expiration + "</Expiration></Credentials>"
                    + "<AssumedRoleUser><Arn>" + roleArn + "/session</Arn><AssumedRoleId>AROA:session</AssumedRoleId>"
                    + "</AssumedRoleUser></" + action + "Result><ResponseMetadata><RequestId>qcow2j-sts</RequestId>"
                    + "</ResponseMetadata></" + action + "Response>";
        }
        byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "text/xml");
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
