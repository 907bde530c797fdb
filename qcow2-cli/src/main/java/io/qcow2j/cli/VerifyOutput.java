package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.restore.digest.DiskDigest;
import io.qcow2j.oadp.BackupLocation;
import io.qcow2j.oadp.BackupVerifier;
import io.qcow2j.oadp.DiskVerification;
import io.qcow2j.oadp.MissingCheckpoint;
import io.qcow2j.oadp.UnreferencedCheckpoint;
import io.qcow2j.oadp.VerifyOptions;
import io.qcow2j.oadp.VerifyReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Runs a verification over a location and prints it: progress while it runs, then a table for
 * people (one line per backup × VM × disk) or the JSON report. Exit 0 when every disk checked is
 * restorable, 3 when any is not (with one {@code error:} line naming how many and the first).
 */
final class VerifyOutput {
    private VerifyOutput() {
    }

    static int run(CommandSpec spec, VerifyFlags flags, BackupLocation location, Events events,
                   Consumer<ObjectNode> stats, PrintWriter out, PrintWriter err) throws IOException {
        var scope = flags.scope(spec);
        boolean lines = flags.progress == Progress.Mode.auto && System.console() != null;
        VerifyOptions.Listener listener = (d, done, total) -> {
            if (events.json()) {
                ObjectNode n = events.event("progress");
                n.put("done", done).put("total", total).put("backup", d.backup())
                        .put("vm", d.namespace() + "/" + d.vm()).put("pvc", d.pvc()).put("status", status(d));
                stats.accept(n);
                events.emit(n);
            } else if (lines) {
                err.printf("[%d/%d] %s %s/%s %s: %s%n", done, total, d.backup(), d.namespace(), d.vm(),
                        d.pvc() == null ? "-" : d.pvc(), status(d));
                err.flush();
            }
        };
        ObjectNode start = events.event("start");
        start.put("location", location.name());
        start.put("deep", flags.deep);
        events.emit(start);
        VerifyReport r;
        try {
            r = BackupVerifier.verify(location, scope, flags.options(spec, listener));
        } catch (IllegalArgumentException e) { // a name that is not a plain path component
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        long broken = r.disks().stream().filter(d -> !d.ok()).count();
        ObjectNode done = events.event("done");
        done.put("checked", r.disks().size()).put("broken", broken);
        stats.accept(done);
        events.emit(done);
        if (flags.json) {
            out.println(Json.pretty(json(r, flags.deep, stats)));
        } else {
            table(r, flags.deep, stats, out);
        }
        out.flush();
        if (broken == 0) {
            return ExitCode.OK;
        }
        DiskVerification first = r.disks().stream().filter(d -> !d.ok()).findFirst().orElseThrow();
        err.println("error: " + broken + " of " + r.disks().size() + " backup disk(s) cannot be restored; first: "
                + PrintableText.escape(label(first) + ": " + first.findings().get(0).getMessage()));
        return ExitCode.INVALID;
    }

    private static String status(DiskVerification d) {
        return d.ok() ? "OK" : "BROKEN";
    }

    private static String label(DiskVerification d) {
        return "backup " + d.backup() + " VM " + d.namespace() + "/" + d.vm()
                + (d.pvc() == null ? "" : " PVC " + d.pvc());
    }

    private static ObjectNode json(VerifyReport r, boolean deep, Consumer<ObjectNode> stats) {
        ObjectNode n = Json.object();
        n.put("status", r.ok() ? "ok" : "broken");
        n.put("location", r.location());
        n.put("deep", deep);
        n.put("checked", r.disks().size());
        n.put("broken", r.disks().stream().filter(d -> !d.ok()).count());
        ArrayNode disks = n.putArray("disks");
        for (DiskVerification d : r.disks()) {
            ObjectNode o = disks.addObject();
            o.put("backup", d.backup()).put("namespace", d.namespace()).put("vm", d.vm()).put("pvc", d.pvc());
            if (d.disk() != null) {
                o.put("disk", d.disk());
            }
            o.put("status", d.ok() ? "ok" : "broken");
            o.put("chain-length", d.checkpoints().size());
            ArrayNode cps = o.putArray("checkpoints");
            d.checkpoints().forEach(cps::add);
            o.put("virtual-size", d.virtualSize()).put("pvc-size", d.pvcSize()).put("image-bytes", d.imageBytes())
                    .put("winning-bytes", d.winningBytes()).put("requests", d.requests())
                    .put("bytes-read", d.bytesRead());
            if (d.digest() != null) {
                o.put("digest", DiskDigest.NAME + ":" + d.digest());
            }
            findings(o.putArray("findings"), d.findings());
        }
        ArrayNode missing = n.putArray("missing-checkpoints");
        for (MissingCheckpoint m : r.missing()) {
            missing.addObject().put("backup", m.backup()).put("namespace", m.namespace()).put("vm", m.vm())
                    .put("checkpoint", m.checkpoint()).put("what", m.what());
        }
        ArrayNode unreferenced = n.putArray("unreferenced-checkpoints");
        for (UnreferencedCheckpoint u : r.unreferenced()) {
            unreferenced.addObject().put("namespace", u.namespace()).put("vm", u.vm()).put("checkpoint", u.id())
                    .put("bytes", u.bytes()).put("in-index", u.inIndex());
        }
        findings(n.putArray("problems"), r.problems());
        n.put("location-calls", r.requests());
        n.put("bytes-read", r.bytesRead());
        n.put("seconds", r.nanos() / 1e9);
        stats.accept(n);
        return n;
    }

    /** Every finding as the error object's fields: kind, message, resource, structure, offset. */
    private static void findings(ArrayNode into, List<Qcow2Exception> findings) {
        for (Qcow2Exception f : findings) {
            ErrorReport.of(f, ExitCode.USAGE).fill(into.addObject());
        }
    }

    private static void table(VerifyReport r, boolean deep, Consumer<ObjectNode> stats, PrintWriter out) {
        out.print(PrintableText.format("%-7s %-20s %-28s %-16s %5s %15s %15s %13s%s  %s%n", "STATUS", "BACKUP", "VM", "DISK", "CHAIN",
                "VIRTUAL", "WINNING", "READ", deep ? String.format(" %-27s", "DIGEST") : "", "REASON"));
        for (DiskVerification d : r.disks()) {
            out.print(PrintableText.format("%-7s %-20s %-28s %-16s %5d %15s %15s %13s%s  %s%n", status(d), d.backup(),
                    d.namespace() + "/" + d.vm(), d.pvc() == null ? "-" : d.pvc(), d.checkpoints().size(),
                    bytes(d.virtualSize()), bytes(d.winningBytes()), bytes(d.bytesRead()),
                    deep ? String.format(" %-27s", d.digest() == null ? "-" : DiskDigest.NAME + ":" + d.digest()) : "",
                    d.ok() ? "" : d.findings().get(0).getMessage()));
        }
        if (!r.missing().isEmpty()) {
            out.print(PrintableText.format("%nbackups referencing checkpoints that are gone:%n"));
            for (MissingCheckpoint m : r.missing()) {
                out.print(PrintableText.format("  %s  %s/%s  %s: %s%n", m.backup(), m.namespace(), m.vm(), m.checkpoint(), m.what()));
            }
        }
        if (!r.unreferenced().isEmpty()) {
            out.print(PrintableText.format("%ncheckpoints no backup references (reclaimable; nothing was deleted):%n"));
            for (UnreferencedCheckpoint u : r.unreferenced()) {
                out.print(PrintableText.format("  %s/%s  %s  %s%n", u.namespace(), u.vm(), u.id(), u.inIndex()
                        ? bytes(u.bytes()) + " bytes" : "objects not in the index"));
            }
        }
        for (Qcow2Exception p : r.problems()) {
            out.print(PrintableText.format("%nproblem: %s%n", p.getMessage()));
        }
        long ok = r.disks().stream().filter(DiskVerification::ok).count();
        out.print(PrintableText.format("%n%d of %d backup disk(s) restorable; read %,d bytes in %,d calls in %.3f s%n", ok,
                r.disks().size(), r.bytesRead(), r.requests(), r.nanos() / 1e9));
        ObjectNode s = Json.object();
        stats.accept(s);
        if (s.has("requests")) {
            out.print(PrintableText.format("  fetched %,d bytes in %,d requests (%,d retried) from object storage%n",
                    s.get("bytes-fetched").asLong(), s.get("requests").asLong(), s.get("retries").asLong()));
        }
    }

    private static String bytes(long n) {
        return n < 0 ? "-" : String.format("%,d", n);
    }
}
