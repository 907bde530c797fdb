package io.qcow2j.s3;

import io.qcow2j.core.ReadPart;
import io.qcow2j.core.internal.HttpRange;
import io.qcow2j.core.internal.PartsCursor;
import io.qcow2j.core.internal.RetryLoop;
import io.qcow2j.core.internal.RetryLoop.Attempt;
import io.qcow2j.core.remote.RetryPolicy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;

/**
 * HEAD, ranged GET and LIST with our own retry loop (the SDK's is off): the SDK retries only until
 * a response starts, while a body can fail mid-way, and one loop with one attempt count covers both
 * and keeps the request counter exact. Each attempt goes through a {@link Transport}: our own HTTP
 * client ({@link DirectGets}), or the SDK's ({@link SdkTransport}). Thread-safe.
 */
final class ObjectRequests {
    private final S3Client s3;
    private final S3Settings settings;
    private final Transport transport;
    /** Objects whose HEAD had no entity tag, for {@link #warnings()}: reported once each. */
    private final Set<S3Location> withoutEntityTag = ConcurrentHashMap.newKeySet();
    private final RetryPolicy retryPolicy;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final AtomicLong bytesFetched = new AtomicLong();

    /** Makes the transport for the counters: our own, or null for the SDK's. */
    interface DirectFactory {
        DirectGets create(AtomicLong requests, AtomicLong bytesFetched);
    }

    ObjectRequests(S3Client s3, S3Settings settings, DirectFactory direct) {
        this.s3 = s3;
        this.settings = settings;
        this.retryPolicy = new RetryPolicy(settings.maxAttempts(), settings.baseBackoff(), settings.maxBackoff());
        DirectGets own = direct == null ? null : direct.create(requests, bytesFetched);
        this.transport = own != null ? own : new SdkTransport(s3, settings, requests, bytesFetched);
    }

    /** HEAD, retried; a final HTTP error is diagnosed with a 1-byte GET, whose answer has the S3 code. */
    ObjectInfo head(S3Location location) throws IOException {
        try {
            Transport.Head head = call(location, null, -1, "HEAD", () -> transport.head(location));
            long size;
            try {
                size = Long.parseLong(String.valueOf(head.contentLength()));
            } catch (NumberFormatException e) {
                size = -1;
            }
            if (size < 0) {
                throw new ObjectStoreException(location, null, -1, "HEAD: the server sent no valid Content-Length ("
                        + Failure.oneLine(String.valueOf(head.contentLength())) + ")", 200, null, null);
            }
            String eTag = head.eTag();
            if (eTag == null || eTag.isBlank()) {
                if (settings.requireEntityTag()) {
                    throw new ObjectStoreException(location, null, -1, "HEAD: the server sent no ETag, so a change"
                            + " of the object during the restore could not be detected; refused as asked", 200, null,
                            null);
                }
                withoutEntityTag.add(location);
                return new ObjectInfo(location, size, null);
            }
            return new ObjectInfo(location, size, eTag);
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
            transport.probe(location);
        } catch (Exception e) {
            Failure f = Failure.of(e);
            if (f.kind == Failure.Kind.INTERRUPTED) {
                Thread.currentThread().interrupt();
            } else if (f.code != null && f.status == headFailure.httpStatus()) {
                return toException(location, null, -1, "HEAD", 1, f);
            }
        }
        return headFailure;
    }

    /**
     * Reads exactly {@code length} bytes at {@code position} into {@code dst} (which has room),
     * advancing its position: the one-part case of {@link #read(ObjectInfo, List, String)}.
     */
    void read(ObjectInfo info, ByteBuffer dst, long position, int length, String structure) throws IOException {
        read(info, List.of(new ReadPart(position, dst.slice(dst.position(), length))), structure);
        dst.position(dst.position() + length);
    }

    /**
     * Reads {@code parts} (ascending, disjoint, all inside the object) with ranged GETs of the span
     * from the first to the end of the last: the bytes between parts are read and dropped. A body
     * cut short is resumed where it stopped, within the attempt budget.
     */
    void read(ObjectInfo info, List<ReadPart> parts, String structure) throws IOException {
        PartsCursor cursor = new PartsCursor(parts);
        call(info.location(), structure, cursor.start(), "GET " + HttpRange.header(cursor.start(), cursor.length()),
                () -> {
                    transport.get(info, cursor);
                    return null;
                });
    }

    /** Whether the transport is our own HTTP client. */
    boolean direct() {
        return transport instanceof DirectGets;
    }

    /** One warning per object opened whose HEAD had no entity tag. */
    List<String> warnings() {
        return withoutEntityTag.stream().map(l -> l + ": the server sent no ETag: a change of the object during the"
                + " restore cannot be detected beyond its size").sorted().toList();
    }

    /** Stops the transport's threads and closes its connections. */
    void close() {
        transport.close();
    }

    private <T> T call(S3Location location, String structure, long offset, String operation, Attempt<T> attempt)
            throws IOException {
        return RetryLoop.run(retryPolicy, location + ": " + operation, retries, Failure::of,
                (f, attempts) -> toException(location, structure, offset, operation, attempts, f), attempt);
    }

    /** Full jitter: see {@link RetryPolicy#backoffNanos(int)}. */
    long backoffNanos(int retry) {
        return retryPolicy.backoffNanos(retry);
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

}
