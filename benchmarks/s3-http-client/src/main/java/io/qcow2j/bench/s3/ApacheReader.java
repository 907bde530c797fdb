package io.qcow2j.bench.s3;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.http.apache.ApacheHttpClient;

/** {@code apache-client}: Apache HttpClient 4.5 with a pool of {@link #CONNECTIONS}. */
final class ApacheReader extends SyncReader {
    ApacheReader(URI endpoint, String bucket, String key) {
        super(ApacheHttpClient.builder().maxConnections(CONNECTIONS).connectionTimeout(Duration.ofSeconds(10))
                .socketTimeout(Duration.ofSeconds(30)).build(), endpoint, bucket, key);
    }
}
