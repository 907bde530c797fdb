package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.restore.RestoreIncompleteException;
import io.qcow2j.restore.RestoreResult;
import io.qcow2j.restore.digest.DiskDigest;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * One restored disk as {@code restore}, {@code restore-vm} and {@code datamover-restore} report it
 * (docs/cli-contract.md, "Summaries"): every per-disk summary field by its contract name, the
 * {@code done} event and the human lines, defined here once. Each command picks the fields its
 * summary has, in its order, and adds its own around them (the VM, the backup, the object store's
 * counters).
 */
final class RestoreReport {
    private final RestoreResult result;
    private final List<String> images;
    private final long validationNanos;
    private final boolean verified;

    private RestoreReport(RestoreResult result, List<String> images, long validationNanos, boolean verified) {
        this.result = result;
        this.images = List.copyOf(images);
        this.validationNanos = validationNanos;
        this.verified = verified;
    }

    /**
     * The report of {@code result}, restored from {@code images} (their names, oldest first) after
     * {@code validationNanos} of validation (-1 where the command reports none). With
     * {@code verify}, the target is read back first and a digest that differs is the restore's
     * failure: the target is not what was restored.
     *
     * @param what prefixed to the failure's reason, naming the disk ("PVC x: "), or ""
     */
    static RestoreReport of(RestoreResult result, List<String> images, long validationNanos, boolean verify,
                            String what) throws IOException {
        if (verify) {
            String read = DiskDigest.of(Path.of(result.target()), result.virtualSize());
            if (!read.equals(result.digest())) {
                throw new RestoreIncompleteException(result.target(), -1, what + "verification failed: target digest "
                        + read + " differs from the restored stream's " + result.digest(), null);
            }
        }
        return new RestoreReport(result, images, validationNanos, verify);
    }

    RestoreResult result() {
        return result;
    }

    /** The digest as printed everywhere: {@code xxh64-64k:} and 16 hex digits. */
    String digest() {
        return DiskDigest.NAME + ":" + result.digest();
    }

    /** The {@code done} event: {@code target}, {@code virtual-size}, {@code bytes-written}, {@code digest}. */
    ObjectNode doneEvent(Events events) {
        ObjectNode done = events.event("done");
        put(done, "target", "virtual-size", "bytes-written", "digest");
        return done;
    }

    /**
     * Puts the named fields into {@code n}, in the order given. {@code seconds} and
     * {@code restore-seconds} are both the restore's own time (first write to the final force);
     * {@code verified} is put only when the target was read back.
     */
    void put(ObjectNode n, String... fields) {
        RestoreResult r = result;
        for (String f : fields) {
            switch (f) {
                case "target" -> n.put(f, r.target());
                case "target-kind" -> n.put(f, r.targetKind().label());
                case "direct-io" -> n.put(f, r.directIo());
                case "virtual-size" -> n.put(f, r.virtualSize());
                case "bytes-written" -> n.put(f, r.bytesWritten());
                case "zero-bytes-skipped" -> n.put(f, r.zeroBytesSkipped());
                case "data-bytes" -> n.put(f, r.dataBytes());
                case "seconds", "restore-seconds" -> n.put(f, r.nanos() / 1e9);
                case "validation-seconds" -> n.put(f, validationNanos / 1e9);
                case "mb-per-second" -> n.put(f, Math.round(r.megabytesPerSecond() * 10) / 10.0);
                case "digest" -> n.put(f, digest());
                case "verified" -> {
                    if (verified) {
                        n.put(f, true);
                    }
                }
                case "workers" -> n.put(f, r.workers());
                case "zero-offload" -> n.put(f, r.zeroOffload());
                case "zero-bytes-written" -> n.put(f, r.zeroBytesWritten());
                case "page-cache-release" -> n.put(f, r.pageCacheRelease());
                case "images" -> strings(n.putArray(f), images);
                case "notes" -> strings(n.putArray(f), r.notes());
                case "warnings" -> strings(n.putArray(f), r.warnings());
                default -> throw new IllegalArgumentException("no summary field " + f);
            }
        }
    }

    private static void strings(ArrayNode into, List<String> values) {
        values.forEach(into::add);
    }

    /** {@code restore}'s summary for people: a title line and one line per figure. */
    void print(PrintWriter out) {
        RestoreResult r = result;
        out.printf("restored %d images onto %s (%s%s)%n", images.size(), PrintableText.escape(r.target()),
                r.targetKind().label().replace('-', ' '), r.directIo() ? ", O_DIRECT" : "");
        out.printf("  virtual size   %,d bytes%n", r.virtualSize());
        out.printf("  written        %,d bytes (%,d from data clusters)%n", r.bytesWritten(), r.dataBytes());
        out.printf("  zeros skipped  %,d bytes%n", r.zeroBytesSkipped());
        if (r.zeroBytesWritten() > 0) {
            out.printf("  zeros written  %,d bytes (the kernel could not zero them)%n", r.zeroBytesWritten());
        }
        out.printf("  time           %.3f s (%.1f MB/s), after %.3f s validating the chain%n", r.nanos() / 1e9,
                r.megabytesPerSecond(), validationNanos / 1e9);
        out.printf("  digest         %s%s%n", digest(), verified ? " (verified)" : "");
    }

    /** {@code restore-vm}'s line for one disk. */
    String diskLine(String pvc) {
        RestoreResult r = result;
        return PrintableText.format("  PVC %s -> %s%s: %,d bytes (virtual %,d), %.1f MB/s, digest %s%s", pvc,
                r.target(), r.directIo() ? " (O_DIRECT)" : "", r.bytesWritten(), r.virtualSize(),
                r.megabytesPerSecond(), digest(), verified ? " (verified)" : "");
    }

    /** {@code datamover-restore}'s summary as one line of text, from its JSON summary: what an operator reads in the pod log. */
    static String datamoverLine(ObjectNode s) {
        return String.format("restored volume %s of VM %s/%s from backup %s (%d checkpoints) onto %s (%s): %,d bytes"
                        + " virtual, %,d written, %,d fetched in %d requests (%d retries), %.1f s, %s",
                PrintableText.name(s.path("volume").asText()), PrintableText.name(s.path("namespace").asText()),
                PrintableText.name(s.path("vm").asText()), PrintableText.name(s.path("backup").asText()),
                s.path("checkpoints").size(), PrintableText.escape(s.path("target").asText()),
                s.path("target-kind").asText(), s.path("virtual-size").asLong(), s.path("bytes-written").asLong(),
                s.path("bytes-fetched").asLong(), s.path("requests").asLong(), s.path("retries").asLong(),
                s.path("seconds").asDouble(), s.path("digest").asText());
    }
}
