package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.core.CorruptDataException;
import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.NativeLibraryUnavailableException;
import io.qcow2j.core.internal.PrintableText;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.SourceAccessException;
import io.qcow2j.core.UnsupportedImageException;
import io.qcow2j.restore.InsufficientMemoryException;
import io.qcow2j.restore.InvalidChainException;
import io.qcow2j.restore.RestoreCancelledException;
import io.qcow2j.restore.RestoreIncompleteException;
import io.qcow2j.oadp.InvalidBackupLayoutException;
import io.qcow2j.restore.target.InvalidTargetException;
import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * One failure as the CLI reports it (docs/cli-contract.md): a kind a program can switch on, the
 * exit code, the one-line message, and where the problem is.
 *
 * @param kind        what went wrong, e.g. {@code invalid-image}, {@code invalid-target}, {@code incomplete}
 * @param exit        the process's exit code
 * @param message     the one line printed after {@code error: }
 * @param resource    the file, object or target involved, or null
 * @param structure   the part of it, or null
 * @param offset      the byte offset in the resource, or -1
 * @param guestOffset for an incomplete restore, where it stopped, or -1
 */
record ErrorReport(String kind, int exit, String message, String resource, String structure, long offset,
        long guestOffset) {

    /** The message is one line whatever it quotes: a path, a stored name, another library's text. */
    ErrorReport {
        message = PrintableText.escape(message);
    }

    /** Classifies {@code t}; {@code usageExit} is the exit code of a usage error for this command. */
    static ErrorReport of(Throwable t, int usageExit) {
        Throwable e = t instanceof UncheckedIOException u ? u.getCause() : t;
        if (e instanceof CommandLine.ParameterException) {
            return new ErrorReport("usage", usageExit, e.getMessage(), null, null, -1, -1);
        }
        if (e instanceof Qcow2Exception q) {
            String kind;
            int exit;
            long guest = -1;
            if (e instanceof RestoreIncompleteException ri) {
                kind = e instanceof RestoreCancelledException ? "cancelled" : "incomplete";
                exit = ExitCode.INCOMPLETE;
                guest = ri.guestOffset();
            } else if (e instanceof InvalidTargetException) {
                kind = "invalid-target";
                exit = ExitCode.INVALID_TARGET;
            } else if (e instanceof CorruptDataException c) {
                kind = "corrupt-data";
                exit = ExitCode.INCOMPLETE;
                guest = c.guestOffset();
            } else {
                kind = e instanceof UnsupportedImageException ? "unsupported-image"
                        : e instanceof InvalidImageException ? "invalid-image"
                        : e instanceof SourceAccessException ? "unreadable-source"
                        : e instanceof InvalidChainException ? "invalid-chain"
                        : e instanceof InvalidBackupLayoutException ? "invalid-layout"
                        : e instanceof NativeLibraryUnavailableException ? "native-unavailable"
                        : e instanceof InsufficientMemoryException ? "insufficient-memory"
                        : "invalid-input";
                exit = ExitCode.INVALID;
            }
            return new ErrorReport(kind, exit, e.getMessage(), q.resource(), q.structure(), q.offset(), guest);
        }
        if (e instanceof IOException) {
            String m = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            return new ErrorReport("io", ExitCode.INCOMPLETE, "I/O error: " + m, null, null, -1, -1);
        }
        if (e instanceof OutOfMemoryError) {
            return new ErrorReport("out-of-memory", ExitCode.INTERNAL, "out of memory (" + e.getMessage()
                    + "); give the JVM more with JAVA_OPTS or the container a higher limit", null, null, -1, -1);
        }
        return new ErrorReport("internal", ExitCode.INTERNAL, "internal error: " + e + " (run with --debug for details)",
                null, null, -1, -1);
    }

    /** {@code {"error":{...},"exit":N}}, what {@code --json} prints on stdout. */
    ObjectNode toJson() {
        ObjectNode n = Json.object();
        ObjectNode err = n.putObject("error");
        fill(err);
        n.put("exit", exit);
        return n;
    }

    /** The error's fields, into {@code o}. */
    void fill(ObjectNode o) {
        o.put("kind", kind);
        o.put("message", message);
        if (resource != null) {
            o.put("resource", resource);
        } else {
            o.putNull("resource");
        }
        if (structure != null) {
            o.put("structure", structure);
        } else {
            o.putNull("structure");
        }
        o.put("offset", offset);
        if (guestOffset >= 0 || kind.equals("incomplete") || kind.equals("cancelled")) {
            o.put("guest-offset", guestOffset);
        }
    }
}
