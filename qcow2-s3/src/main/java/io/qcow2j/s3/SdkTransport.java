package io.qcow2j.s3;

import io.qcow2j.core.internal.HttpRange;
import io.qcow2j.core.internal.PartsCursor;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/**
 * HEAD and ranged GET through the SDK's {@link S3Client}: for a caller's own client, and behind an
 * HTTP proxy (see {@link DirectGets#create}). The SDK's attempt timeout bounds the wait for the
 * answer, our timer the body. Thread-safe.
 */
final class SdkTransport implements Transport {
    /** Copy chunk between the SDK's stream and the parts: bounded, one per reading thread, never per call. */
    private static final int CHUNK = 64 << 10;
    private static final ThreadLocal<byte[]> CHUNKS = ThreadLocal.withInitial(() -> new byte[CHUNK]);

    private final S3Client s3;
    private final S3Settings settings;
    private final SseCustomerKey sse;
    private final AtomicLong requests;
    private final AtomicLong bytesFetched;
    /** Aborts bodies past their deadline; one daemon thread, idle but for a trickling server. */
    private final ScheduledThreadPoolExecutor deadlines;

    SdkTransport(S3Client s3, S3Settings settings, AtomicLong requests, AtomicLong bytesFetched) {
        this.s3 = s3;
        this.settings = settings;
        this.sse = SseCustomerKey.of(settings);
        this.requests = requests;
        this.bytesFetched = bytesFetched;
        this.deadlines = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "qcow2j-s3-deadline");
            t.setDaemon(true);
            return t;
        });
        deadlines.setRemoveOnCancelPolicy(true);
    }

    @Override
    public Head head(S3Location location) {
        HeadObjectRequest.Builder b = HeadObjectRequest.builder().bucket(location.bucket()).key(location.key())
                .overrideConfiguration(o -> o.apiCallAttemptTimeout(settings.requestDeadline(0)));
        if (sse != null) {
            b.sseCustomerAlgorithm("AES256").sseCustomerKey(sse.key()).sseCustomerKeyMD5(sse.keyMd5());
        }
        requests.incrementAndGet();
        HeadObjectResponse r = s3.headObject(b.build());
        return new Head(r.contentLength() == null ? null : String.valueOf(r.contentLength()), r.eTag());
    }

    @Override
    public void probe(S3Location location) {
        requests.incrementAndGet();
        ResponseInputStream<GetObjectResponse> in = s3.getObject(request(location, null, 0, 1));
        in.abort();
        closeQuietly(in);
    }

    @Override
    public void get(ObjectInfo info, PartsCursor cursor) throws IOException {
        long position = cursor.resumeAt();
        int length = cursor.remaining();
        byte[] chunk = CHUNKS.get();
        requests.incrementAndGet();
        Duration deadline = settings.requestDeadline(length);
        long due = System.nanoTime() + deadline.toNanos();
        ResponseInputStream<GetObjectResponse> in = s3.getObject(request(info.location(), info.eTag(), position,
                length).toBuilder().overrideConfiguration(o -> o.apiCallAttemptTimeout(deadline)).build());
        AtomicBoolean expired = new AtomicBoolean();
        ScheduledFuture<?> timer = deadlines.schedule(() -> {
            expired.set(true);
            in.abort();
        }, Math.max(0, due - System.nanoTime()), TimeUnit.NANOSECONDS);
        boolean complete = false;
        int got = 0;
        try {
            GetObjectResponse response = in.response();
            ResponseChecks.range(response.contentRange(), position, length);
            ResponseChecks.sameObject(info, response.eTag(), response.contentRange(), response.contentLength());
            while (got < length) {
                int n = in.read(chunk, 0, Math.min(chunk.length, length - got));
                if (n < 0) {
                    throw new Failure.ShortBodyException(got, length);
                }
                cursor.put(chunk, 0, n);
                got += n;
            }
            // a longer body (a server that ignored Range at offset 0) must not be drained on close
            complete = response.contentLength() != null && response.contentLength() == length;
        } catch (IOException | RuntimeException e) {
            if (expired.get()) {
                throw new Failure.DeadlineException("no complete response within the deadline of "
                        + deadline.toMillis() / 1000.0 + " s for " + length + " bytes (" + got + " received)", e);
            }
            throw e;
        } finally {
            timer.cancel(false);
            bytesFetched.addAndGet(got);
            if (complete) {
                in.close();
            } else {
                // unread body bytes on the connection: drop it rather than reuse it
                in.abort();
                closeQuietly(in);
            }
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException ignored) {
            // aborted already: nothing left to release
        }
    }

    private GetObjectRequest request(S3Location location, String eTag, long position, int length) {
        GetObjectRequest.Builder b = GetObjectRequest.builder().bucket(location.bucket()).key(location.key())
                .range(HttpRange.header(position, length));
        if (eTag != null) {
            b.ifMatch(eTag);
        }
        if (sse != null) {
            b.sseCustomerAlgorithm("AES256").sseCustomerKey(sse.key()).sseCustomerKeyMD5(sse.keyMd5());
        }
        return b.build();
    }

    /** Stops the deadline timer; the client is the store's to close. */
    @Override
    public void close() {
        deadlines.shutdownNow();
    }
}
