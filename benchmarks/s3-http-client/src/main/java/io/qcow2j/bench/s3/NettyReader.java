package io.qcow2j.bench.s3;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * {@code netty-nio-client} through {@link S3AsyncClient}, the body as a blocking stream so that the
 * caller's threads copy into their own arrays as with the synchronous clients.
 */
final class NettyReader extends RangeReader {
    private final S3AsyncClient s3;

    NettyReader(URI endpoint, String bucket, String key) {
        super(bucket, key);
        this.s3 = S3AsyncClient.builder()
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(CONNECTIONS)
                        .connectionTimeout(Duration.ofSeconds(10)).readTimeout(Duration.ofSeconds(30)))
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(HttpClientBench.ACCESS_KEY, HttpClientBench.SECRET_KEY)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
    }

    @Override
    long read(long offset, byte[] buf, int len) throws IOException {
        ResponseInputStream<GetObjectResponse> in;
        try {
            in = s3.getObject(request(offset, len), AsyncResponseTransformer.<GetObjectResponse>toBlockingInputStream()).join();
        } catch (CompletionException e) {
            throw new IOException(e.getCause());
        }
        try (in) {
            return readFully(in, buf, len);
        }
    }

    @Override
    public void close() {
        s3.close();
    }
}
