package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.check.CheckProblem;
import io.qcow2j.core.check.CheckResult;
import io.qcow2j.core.check.ImageChecker;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code check}: refcount and metadata consistency of one image, as {@code qemu-img check}
 * reports it, with its exit codes: 0 clean, 1 the check could not be done (or hit errors of its
 * own), 2 corruptions, 3 leaked clusters only.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Check an image's metadata and reference counts like qemu-img check (read-only).",
            "Exit 0 clean, 1 could not check, 2 corruptions found, 3 only leaked clusters found."})
final class CheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    DebugOption debug;
    @Option(names = "--json", description = "Print JSON (field names as qemu-img check --output=json).")
    boolean json;
    @Parameters(paramLabel = "IMAGE", description = "qcow2 image")
    Path image;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CheckResult r;
        try {
            r = ImageChecker.check(image);
        } catch (IOException e) {
            if (debug.debug) {
                e.printStackTrace(err);
            }
            ErrorReport cause = ErrorReport.of(e, CheckResult.CHECK_FAILED);
            String detail = e instanceof Qcow2Exception ? e.getMessage() : image + ": " + cause.message();
            ErrorReport failed = new ErrorReport(cause.kind(), CheckResult.CHECK_FAILED, "could not check " + detail,
                    cause.resource() != null ? cause.resource() : image.toString(), cause.structure(), cause.offset(),
                    -1);
            err.println("error: " + failed.message());
            if (json) {
                out.println(Json.pretty(failed.toJson()));
            }
            return CheckResult.CHECK_FAILED;
        }
        if (json) {
            out.println(Json.pretty(toJson(r, image.toString())));
        } else {
            printHuman(r, out);
        }
        if (r.checkErrors() > 0) {
            err.println("error: " + PrintableText.escape(image.toString()) + ": check failed: " + r.checkErrors()
                    + " internal errors occurred during the check");
        }
        return r.exitCode();
    }

    /**
     * The result as {@code qemu-img check --output=json} prints it (same keys, same order, counters
     * left out when 0 as qemu does, {@code check-errors} always present), plus our findings under
     * {@code "qcow2j"}.
     */
    static ObjectNode toJson(CheckResult r, String filename) {
        ObjectNode n = Json.object();
        putNonZero(n, "image-end-offset", r.imageEndOffset());
        putNonZero(n, "compressed-clusters", r.compressedClusters());
        putNonZero(n, "total-clusters", r.totalClusters());
        putNonZero(n, "corruptions", r.corruptions());
        n.put("check-errors", r.checkErrors());
        putNonZero(n, "leaks", r.leaks());
        putNonZero(n, "allocated-clusters", r.allocatedClusters());
        n.put("filename", filename);
        n.put("format", r.format());
        putNonZero(n, "fragmented-clusters", r.fragmentedClusters());
        ObjectNode q = n.putObject("qcow2j");
        ArrayNode problems = q.putArray("problems");
        for (CheckProblem p : r.problems()) {
            ObjectNode o = problems.addObject();
            o.put("severity", p.severity().name().toLowerCase(Locale.ROOT).replace('_', '-'));
            o.put("structure", p.structure());
            if (p.offset() >= 0) {
                o.put("offset", p.offset());
            }
            o.put("message", p.message());
        }
        q.put("problems-omitted", r.problemsOmitted());
        return n;
    }

    /**
     * {@code part * 100.0 / whole} with two decimals the way C's {@code printf("%0.2f")} rounds:
     * the exact binary value, ties to even (3.125 prints as 3.12; Java's format would say 3.13).
     */
    static String percent(long part, long whole) {
        return new BigDecimal(part * 100.0 / whole).setScale(2, RoundingMode.HALF_EVEN).toPlainString();
    }

    private static void putNonZero(ObjectNode n, String key, long value) {
        if (value != 0) {
            n.put(key, value);
        }
    }

    /** Findings one per line, then qemu-img check's summary text. */
    static void printHuman(CheckResult r, PrintWriter out) {
        for (CheckProblem p : r.problems()) {
            out.println(PrintableText.escape(p.toString()));
        }
        if (r.problemsOmitted() > 0) {
            out.println("... and " + r.problemsOmitted() + " more findings (counted, not listed)");
        }
        if (r.clean()) {
            out.println("No errors were found on the image.");
        } else {
            if (r.corruptions() > 0) {
                out.println();
                out.println(r.corruptions() + " errors were found on the image.");
                out.println("Data may be corrupted, or further writes to the image may corrupt it.");
            }
            if (r.leaks() > 0) {
                out.println();
                out.println(r.leaks() + " leaked clusters were found on the image.");
                out.println("This means waste of disk space, but no harm to data.");
            }
            if (r.checkErrors() > 0) {
                out.println();
                out.println(r.checkErrors() + " internal errors have occurred during the check.");
            }
        }
        if (r.totalClusters() != 0 && r.allocatedClusters() != 0) {
            out.println(r.allocatedClusters() + "/" + r.totalClusters() + " = "
                    + percent(r.allocatedClusters(), r.totalClusters()) + "% allocated, "
                    + percent(r.fragmentedClusters(), r.allocatedClusters()) + "% fragmented, "
                    + percent(r.compressedClusters(), r.allocatedClusters()) + "% compressed clusters");
        }
        if (r.imageEndOffset() != 0) {
            out.println("Image end offset: " + r.imageEndOffset());
        }
    }
}
