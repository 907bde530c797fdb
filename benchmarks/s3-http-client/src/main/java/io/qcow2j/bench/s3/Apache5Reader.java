package io.qcow2j.bench.s3;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;

/** {@code apache5-client}: Apache HttpClient 5 with a pool of {@link #CONNECTIONS}. */
final class Apache5Reader extends SyncReader {
    Apache5Reader(URI endpoint, String bucket, String key) {
        super(Apache5HttpClient.builder().maxConnections(CONNECTIONS).connectionTimeout(Duration.ofSeconds(10))
                .socketTimeout(Duration.ofSeconds(30)).build(), endpoint, bucket, key);
    }
}
