package io.qcow2j.azure;

import com.azure.core.http.rest.PagedResponse;
import com.azure.core.http.rest.Response;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobServiceAsyncClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.BlobDownloadAsyncResponse;
import com.azure.storage.blob.models.BlobDownloadHeaders;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.DownloadRetryOptions;
import com.azure.storage.blob.models.ListBlobsOptions;
import io.qcow2j.core.ReadPart;
import io.qcow2j.core.internal.RetryLoop.Attempt;
import io.qcow2j.core.internal.HttpRange;
import io.qcow2j.core.internal.PartsCursor;
import io.qcow2j.core.internal.RetryLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;

/**
 * Properties and ranged GETs with our own retry loop (the SDK's is off): the SDK retries only until
 * a response starts, while a body can fail mid-way; one loop covers both and keeps the request
 * counter exact. Thread-safe.
 */
final class BlobRequests {
    private final BlobServiceClient service;
    /** For ranged GETs: its body comes as the HTTP client's buffers (the sync client copies each into an array). */
    private final BlobServiceAsyncClient asyncService;
    private final AzureSettings settings;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final AtomicLong bytesFetched = new AtomicLong();

    BlobRequests(BlobServiceClient service, BlobServiceAsyncClient asyncService, AzureSettings settings) {
        this.service = service;
        this.asyncService = asyncService;
        this.settings = settings;
    }

    private BlobClient client(BlobLocation location) {
        return service.getBlobContainerClient(location.container()).getBlobClient(location.blob());
    }

    /** Size and ETag: one properties (HEAD) request, retried. */
    BlobInfo properties(BlobLocation location) throws IOException {
        return call(location, null, -1, "HEAD", () -> {
            requests.incrementAndGet();
            Response<BlobProperties> r = client(location).getPropertiesWithResponse(null,
                    settings.requestDeadline(0), Context.NONE);
            BlobProperties p = r.getValue();
            if (p.getETag() == null || p.getETag().isBlank()) {
                throw new BlobFailure.ResponseException(BlobFailure.Kind.OTHER, false, "HEAD: the server sent no"
                        + " ETag, so a change of the blob during the restore could not be detected");
            }
            return new BlobInfo(location, p.getBlobSize(), p.getETag());
        });
    }

    /** The names directly under {@code prefix}, sorted: objects and prefixes one segment deep, no trailing {@code /}. */
    List<String> list(BlobLocation prefix) throws IOException {
        String p = prefix.blob();
        return call(prefix, null, -1, "LIST", () -> {
            List<String> names = new ArrayList<>();
            ListBlobsOptions options = new ListBlobsOptions().setPrefix(p);
            for (PagedResponse<BlobItem> page : service.getBlobContainerClient(prefix.container())
                    .listBlobsByHierarchy("/", options, settings.requestDeadline(0)).iterableByPage()) {
                requests.incrementAndGet();
                for (BlobItem item : page.getValue()) {
                    String n = item.getName().substring(p.length());
                    names.add(n.endsWith("/") ? n.substring(0, n.length() - 1) : n);
                }
            }
            names.removeIf(String::isEmpty);
            return names.stream().sorted().toList();
        });
    }

    /**
     * Reads exactly {@code length} bytes at {@code position} into {@code dst}, advancing its position:
     * the one-part case of {@link #read(BlobInfo, List, String)}.
     */
    void read(BlobInfo info, ByteBuffer dst, long position, int length, String structure) throws IOException {
        read(info, List.of(new ReadPart(position, dst.slice(dst.position(), length))), structure);
        dst.position(dst.position() + length);
    }

    /**
     * Reads {@code parts} (ascending, disjoint, inside the blob) with ranged GETs of the span from the
     * first to the end of the last: the bytes between parts are read and dropped. A body cut short is
     * resumed where it stopped, within the attempt budget.
     */
    void read(BlobInfo info, List<ReadPart> parts, String structure) throws IOException {
        PartsCursor cursor = new PartsCursor(parts);
        long position = cursor.start();
        int length = cursor.length();
        call(info.location(), structure, position, "GET " + HttpRange.header(position, length), () -> {
            readOnce(info, cursor, cursor.resumeAt(), cursor.remaining());
            return null;
        });
    }

    private void readOnce(BlobInfo info, PartsCursor dst, long position, int length) throws IOException {
        requests.incrementAndGet();
        Sink sink = new Sink(dst, length);
        BlobLocation l = info.location();
        try {
            // the body's buffers go straight into the caller's: through the sync client's
            // OutputStream each was first copied into a new array (2.4 GB of garbage for S1)
            BlobDownloadAsyncResponse r = asyncService.getBlobContainerAsyncClient(l.container())
                    .getBlobAsyncClient(l.blob())
                    .downloadStreamWithResponse(new BlobRange(position, (long) length),
                            new DownloadRetryOptions().setMaxRetryRequests(0),
                            new BlobRequestConditions().setIfMatch(info.eTag()), false)
                    .flatMap(response -> response.getValue().doOnNext(sink::put).then(Mono.just(response)))
                    .block(settings.requestDeadline(length));
            checkResponse(info, r.getDeserializedHeaders(), position, length);
            if (sink.count() < length) {
                throw BlobFailure.shortBody(sink.count(), length);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause(); // the sink's refusal, out of the body's callback
        } finally {
            // an attempt that timed out may still be delivering on the client's thread: stop it here
            bytesFetched.addAndGet(sink.closeAndCount());
        }
    }

    /** The response is the range asked for, from the blob opened: same ETag, same total size. */
    private static void checkResponse(BlobInfo info, BlobDownloadHeaders h, long position, int length)
            throws IOException {
        String cr = h.getContentRange();
        String expected = HttpRange.answerPrefix(position, length);
        if (cr == null || !cr.startsWith(expected)) {
            throw new BlobFailure.ResponseException(BlobFailure.Kind.OTHER, false, "server answered "
                    + (cr == null ? "the whole blob" : cr) + " to a request for "
                    + HttpRange.header(position, length));
        }
        if (h.getETag() != null && !h.getETag().equals(info.eTag())) {
            throw new BlobFailure.ResponseException(BlobFailure.Kind.CHANGED, false, "the blob changed since it was"
                    + " opened: ETag " + info.eTag() + " at HEAD, " + h.getETag() + " in the response");
        }
        String total = cr.substring(cr.lastIndexOf('/') + 1).trim();
        if (!total.equals("*") && !total.equals(String.valueOf(info.size()))) {
            throw new BlobFailure.ResponseException(BlobFailure.Kind.CHANGED, false, "the blob changed since it was"
                    + " opened: " + info.size() + " bytes at HEAD, " + total + " in the response");
        }
    }

    private <T> T call(BlobLocation location, String structure, long offset, String operation, Attempt<T> attempt)
            throws IOException {
        return RetryLoop.run(settings.retry(), location + ": " + operation, retries, BlobFailure::of,
                (f, n) -> f.toException(location, structure, offset, operation, n), attempt);
    }

    /**
     * The body's bytes straight into the caller's buffer (or parts), at most {@code limit} of them (a
     * server that ignored the range fails, not overruns), and none once the attempt is over.
     */
    private static final class Sink {
        private final PartsCursor dst;
        private final int limit;
        private int count;
        private boolean closed;

        Sink(PartsCursor dst, int limit) {
            this.dst = dst;
            this.limit = limit;
        }

        synchronized void put(ByteBuffer b) {
            if (closed) {
                throw new UncheckedIOException(new IOException("attempt abandoned"));
            }
            int len = b.remaining();
            if (len > limit - count) {
                throw new UncheckedIOException(new BlobFailure.ResponseException(BlobFailure.Kind.OTHER, false,
                        "response body longer than the " + limit + " bytes asked for"));
            }
            dst.put(b);
            count += len;
        }

        synchronized int count() {
            return count;
        }

        /** Stops further writes; the bytes written. */
        synchronized int closeAndCount() {
            closed = true;
            return count;
        }
    }
}
