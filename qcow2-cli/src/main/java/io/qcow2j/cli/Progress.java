package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qcow2j.restore.ProgressListener;
import java.io.PrintWriter;
import java.util.function.Consumer;

/**
 * Renders restore progress on stderr: a bar on a terminal, {@code progress} events for programs
 * ({@link Events}), or nothing.
 */
abstract class Progress implements ProgressListener {
    /** --progress values. */
    enum Mode {
        auto, json, none
    }

    static Progress create(Mode mode, PrintWriter err, Events events, String label) {
        return create(mode, err, events, label, n -> { });
    }

    /** As {@link #create(Mode, PrintWriter, Events, String)}; {@code extra} adds fields to each event. */
    static Progress create(Mode mode, PrintWriter err, Events events, String label, Consumer<ObjectNode> extra) {
        Mode m = mode == Mode.auto ? (System.console() != null ? null : Mode.none) : mode;
        if (m == null) {
            return new Bar(err);
        }
        return m == Mode.json ? new JsonLines(events, label, extra) : new Silent();
    }

    /** Called once after the restore ended (successfully or not). */
    abstract void finish();

    private static final class Silent extends Progress {
        @Override
        public void progress(long done, long total) {
        }

        @Override
        void finish() {
        }
    }

    /** One {@code progress} event per line, at most every 500 ms plus the final one. */
    private static final class JsonLines extends Progress {
        private final Events events;
        private final String label;
        private final Consumer<ObjectNode> extra;
        private long last;

        JsonLines(Events events, String label, Consumer<ObjectNode> extra) {
            this.events = events;
            this.label = label;
            this.extra = extra;
        }

        @Override
        public void progress(long done, long total) {
            long now = System.nanoTime();
            if (now - last >= 500_000_000L || done == total) {
                last = now;
                ObjectNode n = events.event("progress");
                n.put("target", label);
                n.put("done", done);
                n.put("total", total);
                n.put("percent", total == 0 ? 100.0 : Math.floor(1000.0 * done / total) / 10);
                extra.accept(n);
                events.emit(n);
            }
        }

        @Override
        void finish() {
        }
    }

    /** A single redrawn line, at most every 200 ms. */
    private static final class Bar extends Progress {
        private final PrintWriter err;
        private long last;
        private boolean drawn;

        Bar(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void progress(long done, long total) {
            long now = System.nanoTime();
            if (now - last < 200_000_000L && done != total) {
                return;
            }
            last = now;
            int width = 40;
            int filled = total == 0 ? width : (int) (width * done / total);
            err.printf("\r[%s%s] %5.1f%% %,d / %,d MiB", "#".repeat(filled), " ".repeat(width - filled),
                    total == 0 ? 100.0 : 100.0 * done / total, done >> 20, total >> 20);
            err.flush();
            drawn = true;
        }

        @Override
        void finish() {
            if (drawn) {
                err.println();
            }
        }
    }
}
