package io.qcow2j.gcs;

import com.google.api.client.http.HttpResponse;
import com.google.api.services.storage.Storage;
import com.google.api.services.storage.model.Objects;
import com.google.api.services.storage.model.StorageObject;
import io.qcow2j.core.ReadPart;
import io.qcow2j.core.internal.HttpRange;
import io.qcow2j.core.internal.PartsCursor;
import io.qcow2j.core.internal.RetryLoop;
import io.qcow2j.core.internal.RetryLoop.Attempt;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.http.HttpConnection;

/**
 * Metadata requests and ranged media GETs of the JSON API, with our own retry loop (the client's is
 * off): it covers a body failing mid-way as well as a failed request, and keeps the request counter
 * exact. Thread-safe.
 */
final class GcsRequests {
    private static final int CHUNK = 64 << 10;
    private final Storage api;
    private final GcsSettings settings;
    private final ScheduledExecutorService deadlines;
    private final ResponseConnections connections;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final AtomicLong bytesFetched = new AtomicLong();

    GcsRequests(Storage api, GcsSettings settings, ScheduledExecutorService deadlines,
                ResponseConnections connections) {
        this.api = api;
        this.connections = connections;
        this.settings = settings;
        this.deadlines = deadlines;
    }

    /** Size and generation: one metadata request, retried. */
    GcsObjectInfo metadata(GcsLocation location) throws IOException {
        return call(location, null, -1, "GET metadata", () -> {
            requests.incrementAndGet();
            StorageObject o = api.objects().get(location.bucket(), location.object())
                    .setFields("size,generation").execute();
            if (o.getGeneration() == null || o.getSize() == null) {
                throw new GcsFailure.ResponseException(GcsFailure.Kind.OTHER, false, "the metadata has no "
                        + (o.getSize() == null ? "size" : "generation, so a change of the object during the restore"
                        + " could not be detected"));
            }
            return new GcsObjectInfo(location, o.getSize().longValueExact(), o.getGeneration());
        });
    }

    /** The names directly under {@code prefix}: {@link GcsStore#list}. */
    List<String> list(GcsLocation prefix) throws IOException {
        String p = prefix.object();
        List<String> names = new ArrayList<>();
        String token = null;
        do {
            Storage.Objects.List request = api.objects().list(prefix.bucket()).setPrefix(p).setDelimiter("/")
                    .setFields("items(name),prefixes,nextPageToken").setPageToken(token);
            Objects page = call(prefix, null, -1, "LIST", () -> {
                requests.incrementAndGet();
                return request.execute();
            });
            if (page.getPrefixes() != null) {
                page.getPrefixes().forEach(c -> names.add(c.substring(p.length(), c.length() - 1)));
            }
            if (page.getItems() != null) {
                page.getItems().forEach(o -> names.add(o.getName().substring(p.length())));
            }
            token = page.getNextPageToken();
        } while (token != null && !token.isEmpty());
        names.removeIf(String::isEmpty);
        return names.stream().sorted().toList();
    }

    /**
     * Reads exactly {@code length} bytes at {@code position} into {@code dst}, advancing its position:
     * the one-part case of {@link #read(GcsObjectInfo, List, String)}.
     */
    void read(GcsObjectInfo info, ByteBuffer dst, long position, int length, String structure) throws IOException {
        read(info, List.of(new ReadPart(position, dst.slice(dst.position(), length))), structure);
        dst.position(dst.position() + length);
    }

    /**
     * Reads {@code parts} (ascending, disjoint, inside the object) with ranged GETs of the span from the
     * first to the end of the last: the bytes between parts are read and dropped. A body cut short is
     * resumed where it stopped, within the attempt budget.
     */
    void read(GcsObjectInfo info, List<ReadPart> parts, String structure) throws IOException {
        PartsCursor cursor = new PartsCursor(parts);
        long position = cursor.start();
        int length = cursor.length();
        call(info.location(), structure, position, "GET " + HttpRange.header(position, length), () -> {
            readOnce(info, cursor, cursor.resumeAt(), cursor.remaining());
            return null;
        });
    }

    private void readOnce(GcsObjectInfo info, PartsCursor dst, long position, int length) throws IOException {
        requests.incrementAndGet();
        Storage.Objects.Get get = api.objects().get(info.location().bucket(), info.location().object())
                .setIfGenerationMatch(info.generation());
        get.getRequestHeaders().setRange(HttpRange.header(position, length));
        HttpResponse r;
        try {
            r = get.executeMedia();
        } catch (IOException | RuntimeException e) {
            connections.take();
            throw e;
        }
        HttpConnection c = connections.take();
        // the read timeout bounds silence; this bounds a body that trickles
        AtomicBoolean expired = new AtomicBoolean();
        ScheduledFuture<?> deadline = deadlines.schedule(() -> {
            expired.set(true);
            shutdown(c);
        }, settings.requestDeadline(length).toNanos(), TimeUnit.NANOSECONDS);
        boolean complete = false;
        try {
            checkResponse(info, r, position, length);
            InputStream in = r.getContent();
            int received = copy(in, dst, length);
            if (received < length) {
                throw GcsFailure.shortBody(received, length);
            }
            if (in.read() >= 0) {
                throw new GcsFailure.ResponseException(GcsFailure.Kind.OTHER, false, "response body longer than the "
                        + length + " bytes asked for");
            }
            in.close(); // the whole body read: the connection goes back to the pool
            complete = true;
        } catch (IOException e) {
            if (expired.get()) {
                throw new GcsFailure.ResponseException(GcsFailure.Kind.OTHER, true,
                        "no complete response within the request deadline");
            }
            throw e;
        } finally {
            deadline.cancel(false);
            if (!complete) {
                // cut first, so that disconnect() finds nothing to drain and only returns the lease
                shutdown(c);
                disconnect(r);
            }
        }
    }

    /** Reads up to {@code length} bytes of the body into {@code dst}, counting them as fetched. */
    private int copy(InputStream in, PartsCursor dst, int length) throws IOException {
        byte[] chunk = new byte[Math.min(CHUNK, length)];
        int received = 0;
        while (received < length) {
            int n = in.read(chunk, 0, Math.min(chunk.length, length - received));
            if (n < 0) {
                break;
            }
            dst.put(chunk, 0, n);
            received += n;
            bytesFetched.addAndGet(n);
        }
        return received;
    }

    private static void shutdown(HttpConnection c) {
        try {
            if (c != null) {
                c.shutdown();
            }
        } catch (IOException | RuntimeException ignored) {
            // the connection is being dropped anyway
        }
    }

    private static void disconnect(HttpResponse r) {
        try {
            r.disconnect();
        } catch (IOException | RuntimeException ignored) {
            // the connection was cut: the lease is returned all the same
        }
    }

    /** The response is the range asked for, of the generation opened, of an object of the size opened. */
    private static void checkResponse(GcsObjectInfo info, HttpResponse r, long position, int length)
            throws IOException {
        String generation = header(r, "x-goog-generation");
        // the JSON API honours ifGenerationMatch; an emulator that does not still names what it sent
        if (generation != null && !generation.trim().equals(String.valueOf(info.generation()))) {
            throw new GcsFailure.ResponseException(GcsFailure.Kind.CHANGED, false, "the object changed since it"
                    + " was opened: generation " + info.generation() + " at opening, " + generation.trim()
                    + " in the response");
        }
        String cr = r.getHeaders().getContentRange();
        String expected = HttpRange.answerPrefix(position, length);
        if (cr == null || !cr.startsWith(expected)) {
            throw new GcsFailure.ResponseException(GcsFailure.Kind.OTHER, false, "server answered "
                    + (cr == null ? "the whole object" : cr) + " to a request for "
                    + HttpRange.header(position, length));
        }
        String total = cr.substring(cr.lastIndexOf('/') + 1).trim();
        if (!total.equals("*") && !total.equals(String.valueOf(info.size()))) {
            throw new GcsFailure.ResponseException(GcsFailure.Kind.CHANGED, false, "the object changed since it"
                    + " was opened: " + info.size() + " bytes at opening, " + total + " in the response");
        }
    }

    private static String header(HttpResponse r, String name) {
        Object v = r.getHeaders().get(name);
        if (v instanceof java.util.List<?> l) {
            return l.isEmpty() ? null : String.valueOf(l.get(0));
        }
        return v == null ? null : String.valueOf(v);
    }

    private <T> T call(GcsLocation location, String structure, long offset, String operation, Attempt<T> attempt)
            throws IOException {
        return RetryLoop.run(settings.retry(), location + ": " + operation, retries, GcsFailure::of,
                (f, n) -> f.toException(location, structure, offset, operation, n), attempt);
    }
}
