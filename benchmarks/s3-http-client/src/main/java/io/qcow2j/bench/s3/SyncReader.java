package io.qcow2j.bench.s3;

import java.io.IOException;
import java.net.URI;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/** Ranged GETs through the synchronous {@link S3Client}. */
abstract class SyncReader extends RangeReader {
    private final S3Client s3;

    SyncReader(SdkHttpClient http, URI endpoint, String bucket, String key) {
        super(bucket, key);
        this.s3 = syncClient(http, endpoint);
    }

    @Override
    long read(long offset, byte[] buf, int len) throws IOException {
        try (ResponseInputStream<GetObjectResponse> in = s3.getObject(request(offset, len))) {
            return readFully(in, buf, len);
        }
    }

    @Override
    public void close() {
        s3.close();
    }
}
