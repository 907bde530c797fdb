package io.qcow2j.bench.s3;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

/**
 * One ranged GET into a caller's array, over one HTTP client. Each client has its own subclass in
 * its own class file, loaded by name, so a JVM whose class path holds one client never links the others.
 */
abstract class RangeReader implements AutoCloseable {
    static final int CONNECTIONS = 16;
    final String bucket;
    final String key;

    RangeReader(String bucket, String key) {
        this.bucket = bucket;
        this.key = key;
    }

    /** Reads {@code len} bytes at {@code offset} into {@code buf}; returns the nanoTime of the first byte. */
    abstract long read(long offset, byte[] buf, int len) throws IOException;

    static RangeReader create(String client, URI endpoint, String bucket, String key) throws Exception {
        String cls = switch (client) {
            case "url" -> "UrlReader";
            case "apache" -> "ApacheReader";
            case "apache5" -> "Apache5Reader";
            case "netty" -> "NettyReader";
            default -> throw new IllegalArgumentException("unknown client " + client);
        };
        return (RangeReader) Class.forName(RangeReader.class.getPackageName() + "." + cls)
                .getDeclaredConstructor(URI.class, String.class, String.class)
                .newInstance(endpoint, bucket, key);
    }

    /** The settings qcow2-s3 uses, over {@code http}. */
    static S3Client syncClient(SdkHttpClient http, URI endpoint) {
        return S3Client.builder()
                .httpClient(http)
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(HttpClientBench.ACCESS_KEY, HttpClientBench.SECRET_KEY)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
    }

    GetObjectRequest request(long offset, int len) {
        return GetObjectRequest.builder().bucket(bucket).key(key)
                .range("bytes=" + offset + "-" + (offset + len - 1)).build();
    }

    static long readFully(InputStream in, byte[] buf, int len) throws IOException {
        long first = 0;
        int done = 0;
        while (done < len) {
            int n = in.read(buf, done, len - done);
            if (n < 0) {
                throw new IOException("body ended after " + done + " of " + len + " bytes");
            }
            if (first == 0) {
                first = System.nanoTime();
            }
            done += n;
        }
        return first;
    }
}
