package io.qcow2j.s3;

import io.qcow2j.core.internal.HttpRange;
import io.qcow2j.core.internal.PartsCursor;
import io.qcow2j.core.remote.RetryPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;

/**
 * HEAD and ranged GET with our own retry loop (the SDK's is off): the SDK retries only until a
 * response starts, while a body can fail mid-way, and one loop with one attempt count covers both
 * and keeps the request counter exact. Thread-safe.
 */
final class ObjectRequests {
    /** Copy chunk for direct buffers: bounded, one per reading thread, never per call. */
    private static final int CHUNK = 64 << 10;
    private static final ThreadLocal<byte[]> CHUNKS = ThreadLocal.withInitial(() -> new byte[CHUNK]);

    private final S3Client s3;
    private final S3Settings settings;
    /** Aborts bodies past their deadline; one daemon thread, idle but for a trickling server. */
    private final ScheduledThreadPoolExecutor deadlines;
    /** Objects whose HEAD had no entity tag, for {@link #warnings()}: reported once each. */
    private final Set<S3Location> withoutEntityTag = ConcurrentHashMap.newKeySet();
    private final int maxAttempts;
    private final RetryPolicy retryPolicy;
    private final String sseKey;
    private final String sseKeyMd5;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final AtomicLong bytesFetched = new AtomicLong();

    ObjectRequests(S3Client s3, S3Settings settings) {
        this.s3 = s3;
        this.settings = settings;
        this.deadlines = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "qcow2j-s3-deadline");
            t.setDaemon(true);
            return t;
        });
        deadlines.setRemoveOnCancelPolicy(true);
        this.maxAttempts = settings.maxAttempts();
        this.retryPolicy = new RetryPolicy(maxAttempts, settings.baseBackoff(), settings.maxBackoff());
        byte[] key = settings.sseCustomerKey();
        if (key == null) {
            sseKey = sseKeyMd5 = null;
        } else {
            sseKey = Base64.getEncoder().encodeToString(key);
            sseKeyMd5 = Base64.getEncoder().encodeToString(md5(key));
        }
    }

    /** One attempt of an operation; may be called again after a retryable failure. */
    private interface Attempt<T> {
        T run() throws Exception;
    }

    /** HEAD, retried; a final HTTP error is diagnosed with a 1-byte GET, whose answer has the S3 code. */
    ObjectInfo head(S3Location location) throws IOException {
        HeadObjectRequest.Builder b = HeadObjectRequest.builder().bucket(location.bucket()).key(location.key())
                .overrideConfiguration(o -> o.apiCallAttemptTimeout(settings.requestDeadline(0)));
        if (sseKey != null) {
            b.sseCustomerAlgorithm("AES256").sseCustomerKey(sseKey).sseCustomerKeyMD5(sseKeyMd5);
        }
        HeadObjectRequest request = b.build();
        try {
            HeadObjectResponse r = call(location, null, -1, "HEAD", () -> {
                requests.incrementAndGet();
                return s3.headObject(request);
            });
            if (r.eTag() == null || r.eTag().isBlank()) {
                if (settings.requireEntityTag()) {
                    throw new ObjectStoreException(location, null, -1, "HEAD: the server sent no ETag, so a change"
                            + " of the object during the restore could not be detected; refused as asked", 200, null,
                            null);
                }
                withoutEntityTag.add(location);
                return new ObjectInfo(location, r.contentLength(), null);
            }
            return new ObjectInfo(location, r.contentLength(), r.eTag());
        } catch (ObjectStoreException e) {
            // a HEAD answer has no body: its error code is missing, or made up by the SDK (any 404
            // becomes NoSuchKey, a missing bucket too), so ask again with a GET that gets the real
            // one; only for refusals, not for a server error the retries already waited out
            int status = e.httpStatus();
            if (status >= 400 && status < 500 || status == 501) {
                throw diagnose(location, e);
            }
            throw e;
        }
    }

    /** LIST with delimiter {@code /}, page after page; every page retried on its own. */
    List<String> list(S3Location prefix) throws IOException {
        String p = prefix.key();
        List<String> names = new ArrayList<>();
        String token = null;
        do {
            ListObjectsV2Request.Builder b = ListObjectsV2Request.builder().bucket(prefix.bucket()).prefix(p)
                    .delimiter("/");
            if (token != null) {
                b.continuationToken(token);
            }
            ListObjectsV2Request request = b.build();
            ListObjectsV2Response r = call(prefix, null, -1, "LIST", () -> {
                requests.incrementAndGet();
                return s3.listObjectsV2(request);
            });
            r.commonPrefixes().forEach(c -> names.add(c.prefix().substring(p.length(), c.prefix().length() - 1)));
            r.contents().forEach(o -> names.add(o.key().substring(p.length())));
            token = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
        } while (token != null);
        names.removeIf(String::isEmpty);
        return names.stream().sorted().toList();
    }

    /** The same request as a GET of one byte, whose error answer carries the S3 code and message. */
    private ObjectStoreException diagnose(S3Location location, ObjectStoreException headFailure) {
        try {
            requests.incrementAndGet();
            ResponseInputStream<GetObjectResponse> in = s3.getObject(get(location, null, 0, 1));
            in.abort();
            closeQuietly(in);
        } catch (RuntimeException e) {
            Failure f = Failure.of(e);
            if (f.code != null && f.status == headFailure.httpStatus()) {
                return toException(location, null, -1, "HEAD", 1, f);
            }
        }
        return headFailure;
    }

    /**
     * Reads exactly {@code length} bytes at {@code position} into {@code dst} (which has room), by
     * ranged GETs: a body cut short is resumed where it stopped, within the attempt budget.
     */
    void read(ObjectInfo info, ByteBuffer dst, long position, int length, String structure) throws IOException {
        int start = dst.position();
        String operation = "GET " + HttpRange.header(position, length);
        byte[] chunk = dst.hasArray() ? null : CHUNKS.get();
        Body body = (in, max) -> chunk == null ? readInto(in, dst, max) : readVia(in, chunk, dst, max);
        call(info.location(), structure, position, operation, () -> {
            int done = dst.position() - start;
            readOnce(info, body, position + done, length - done);
            return null;
        });
    }

    /**
     * Reads {@code parts} (ascending, disjoint, all inside the object) with ranged GETs of the span
     * from the first to the end of the last: the bytes between parts are read and dropped. A body
     * cut short is resumed where it stopped, as {@link #read} does.
     */
    void read(ObjectInfo info, List<io.qcow2j.core.ReadPart> parts, String structure) throws IOException {
        PartsCursor cursor = new PartsCursor(parts);
        long position = cursor.start();
        int length = cursor.length();
        byte[] chunk = CHUNKS.get();
        Body body = (in, max) -> {
            int n = in.read(chunk, 0, Math.min(chunk.length, max));
            if (n > 0) {
                cursor.put(chunk, 0, n);
            }
            return n;
        };
        call(info.location(), structure, position, "GET " + HttpRange.header(position, length), () -> {
            readOnce(info, body, cursor.resumeAt(), cursor.remaining());
            return null;
        });
    }

    /** Where a response body goes: at most {@code max} bytes from {@code in}; -1 at its end. */
    private interface Body {
        int consume(InputStream in, int max) throws IOException;
    }

    /** One GET within its deadline: the SDK's attempt timeout until the response, our timer for the body. */
    private void readOnce(ObjectInfo info, Body body, long position, int length) throws IOException {
        requests.incrementAndGet();
        Duration deadline = settings.requestDeadline(length);
        long due = System.nanoTime() + deadline.toNanos();
        ResponseInputStream<GetObjectResponse> in = s3.getObject(get(info.location(), info.eTag(), position, length)
                .toBuilder().overrideConfiguration(o -> o.apiCallAttemptTimeout(deadline)).build());
        AtomicBoolean expired = new AtomicBoolean();
        ScheduledFuture<?> timer = deadlines.schedule(() -> {
            expired.set(true);
            in.abort();
        }, Math.max(0, due - System.nanoTime()), TimeUnit.NANOSECONDS);
        boolean complete = false;
        int got = 0;
        try {
            GetObjectResponse response = in.response();
            checkRange(response, position, length);
            checkSameObject(info, response);
            while (got < length) {
                int n = body.consume(in, length - got);
                if (n < 0) {
                    throw new Failure.ShortBodyException(got, length);
                }
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

    private static int readInto(InputStream in, ByteBuffer dst, int max) throws IOException {
        int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), max);
        if (n > 0) {
            dst.position(dst.position() + n);
        }
        return n;
    }

    private static int readVia(InputStream in, byte[] chunk, ByteBuffer dst, int max) throws IOException {
        int n = in.read(chunk, 0, Math.min(chunk.length, max));
        if (n > 0) {
            dst.put(chunk, 0, n);
        }
        return n;
    }

    private static void checkRange(GetObjectResponse r, long position, int length) throws IOException {
        String cr = r.contentRange();
        String expected = HttpRange.answerPrefix(position, length);
        if (cr == null ? position != 0 : !cr.startsWith(expected)) {
            throw new Failure.BadResponseException("server answered " + (cr == null ? "the whole object" : cr)
                    + " to a request for " + HttpRange.header(position, length));
        }
    }

    /**
     * The response is from the object opened: the same entity tag (a store that ignores
     * {@code If-Match} answers from a new version), and the same total size.
     */
    private static void checkSameObject(ObjectInfo info, GetObjectResponse r) throws IOException {
        if (info.eTag() != null && !sameTag(info.eTag(), r.eTag())) {
            throw new Failure.ChangedException("the object changed since it was opened: ETag " + info.eTag()
                    + " at HEAD, " + (r.eTag() == null ? "none" : r.eTag()) + " in the response (a store that"
                    + " ignores If-Match)");
        }
        String cr = r.contentRange();
        int slash = cr == null ? -1 : cr.lastIndexOf('/');
        String total = cr != null ? cr.substring(slash + 1).trim() : r.contentLength() == null ? "*"
                : String.valueOf(r.contentLength());
        if (!total.equals("*") && !total.equals(String.valueOf(info.size()))) {
            throw new Failure.ChangedException("the object changed since it was opened: " + info.size()
                    + " bytes at HEAD, " + total + " in the response");
        }
    }

    /** Entity tags compared as opaque strings, quotes and a weak prefix aside. */
    private static boolean sameTag(String a, String b) {
        return b != null && bare(a).equals(bare(b));
    }

    private static String bare(String tag) {
        String t = tag.trim();
        if (t.startsWith("W/")) {
            t = t.substring(2);
        }
        return t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : t;
    }

    /** One warning per object opened whose HEAD had no entity tag. */
    List<String> warnings() {
        return withoutEntityTag.stream().map(l -> l + ": the server sent no ETag: a change of the object during the"
                + " restore cannot be detected beyond its size").sorted().toList();
    }

    /** Stops the deadline timer. */
    void close() {
        deadlines.shutdownNow();
    }

    private GetObjectRequest get(S3Location location, String eTag, long position, int length) {
        GetObjectRequest.Builder b = GetObjectRequest.builder().bucket(location.bucket()).key(location.key())
                .range(HttpRange.header(position, length));
        if (eTag != null) {
            b.ifMatch(eTag);
        }
        if (sseKey != null) {
            b.sseCustomerAlgorithm("AES256").sseCustomerKey(sseKey).sseCustomerKeyMD5(sseKeyMd5);
        }
        return b.build();
    }

    private <T> T call(S3Location location, String structure, long offset, String operation, Attempt<T> attempt)
            throws IOException {
        for (int n = 1; ; n++) {
            Failure f;
            try {
                return attempt.run();
            } catch (Exception e) {
                f = Failure.of(e);
            }
            if (f.kind == Failure.Kind.INTERRUPTED) {
                Thread.currentThread().interrupt();
                throw interrupted(location, operation, f.cause);
            }
            if (!f.retryable || n >= maxAttempts) {
                throw toException(location, structure, offset, operation, n, f);
            }
            retries.incrementAndGet();
            sleep(backoffNanos(n), location, operation);
        }
    }

    /** Full jitter: see {@link RetryPolicy#backoffNanos(int)}. */
    long backoffNanos(int retry) {
        return retryPolicy.backoffNanos(retry);
    }

    private static void sleep(long nanos, S3Location location, String operation) throws InterruptedIOException {
        try {
            RetryPolicy.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(location, operation, e);
        }
    }

    private static InterruptedIOException interrupted(S3Location location, String operation, Throwable cause) {
        InterruptedIOException e = new InterruptedIOException(location + ": " + operation + ": interrupted");
        e.initCause(cause);
        return e;
    }

    static ObjectStoreException toException(S3Location location, String structure, long offset, String operation,
                                            int attempts, Failure f) {
        String reason = operation + (attempts > 1 ? " failed after " + attempts + " attempts: " : ": ")
                + explain(f, location);
        return switch (f.kind) {
            case NOT_FOUND -> new ObjectNotFoundException(location, structure, offset, reason, f.status, f.code, f.cause);
            case ACCESS_DENIED ->
                    new ObjectAccessDeniedException(location, structure, offset, reason, f.status, f.code, f.cause);
            case CHANGED -> new ObjectChangedException(location, structure, offset, reason, f.status, f.code, f.cause);
            default -> new ObjectStoreException(location, structure, offset, reason, f.status, f.code, f.cause);
        };
    }

    private static String explain(Failure f, S3Location location) {
        if ("NoSuchBucket".equals(f.code)) {
            return "bucket '" + location.bucket() + "' does not exist (" + f.summary + ")";
        }
        if ("NoSuchKey".equals(f.code) || f.kind == Failure.Kind.NOT_FOUND && f.code == null) {
            return "no such object (" + f.summary + ")";
        }
        if ("InvalidAccessKeyId".equals(f.code)) {
            return "the access key is not known to the server (" + f.summary + ")";
        }
        if ("SignatureDoesNotMatch".equals(f.code)) {
            return "the secret key does not match the access key (" + f.summary + ")";
        }
        if (f.kind == Failure.Kind.ACCESS_DENIED && f.status > 0) {
            return "access denied (" + f.summary + ")";
        }
        if (f.status == 412) {
            return "the object changed since it was opened (" + f.summary + ")";
        }
        if (f.kind == Failure.Kind.CHANGED) {
            return f.summary + "; restore from a backup nobody writes to";
        }
        return f.summary;
    }

    private static byte[] md5(byte[] key) {
        try {
            return MessageDigest.getInstance("MD5").digest(key);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is a required JDK algorithm", e);
        }
    }
}
