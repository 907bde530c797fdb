package io.qcow2j.bench.s3;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;

/** {@code url-connection-client}: the JDK's HttpURLConnection (its keep-alive cache is not configurable per client). */
final class UrlReader extends SyncReader {
    UrlReader(URI endpoint, String bucket, String key) {
        super(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
                .socketTimeout(Duration.ofSeconds(30)).build(), endpoint, bucket, key);
    }
}
