package io.qcow2j.cli;

import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.restore.RestoreIncompleteException;
import io.qcow2j.restore.TargetState;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT while {@code restore}, {@code restore-vm} or {@code datamover-restore} runs
 * (the DataDownload cancelled, the pod deleted, Ctrl-C), at any moment: validating, writing, forcing,
 * renaming. Without it the JVM ends 143/130 with no word, or with whatever error the interrupted I/O
 * made up ("I/O error … interrupted").
 *
 * <p>The handler interrupts the command's thread, which cancels a running restore (workers finish
 * the block they hold; a staged file is removed and never renamed into place), and leaves the
 * report to it: its failure, whatever it is, becomes one {@code cancelled} report ({@link #report})
 * that names the target and says what is left there. The process then exits with the signal's
 * status, 128 + its number. A command that does not stop within {@link #WAIT_SECONDS} is reported
 * from what is known and the process halted; a second signal halts at once.
 */
final class SignalGuard {
    static final long WAIT_SECONDS = 10;
    private static final List<String> SIGNALS = List.of("TERM", "INT");

    /** What the command is doing, for a report made without its failure. */
    private enum Phase { VALIDATING, WRITING, DONE }

    private final Consumer<ErrorReport> reporter;
    private final AtomicReference<Signal> received = new AtomicReference<>();
    /** Counted down once the command's outcome was reported (or there was none to report). */
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile Thread worker;
    private volatile String target;
    private volatile Phase phase = Phase.VALIDATING;
    private volatile TargetState ifStoppedWriting = TargetState.PARTIALLY_WRITTEN;

    /** @param reporter prints a report (the error line, events, JSON, termination log), once */
    SignalGuard(Consumer<ErrorReport> reporter) {
        this.reporter = reporter;
    }

    /**
     * Handles SIGTERM and SIGINT from now until the returned handle is closed, on behalf of the
     * calling thread, which works on {@code target} (the path reports name).
     */
    Armed arm(String target) {
        this.worker = Thread.currentThread();
        this.target = target;
        List<Signal> signals = new ArrayList<>();
        List<SignalHandler> previous = new ArrayList<>();
        for (String name : SIGNALS) {
            try {
                Signal s = new Signal(name);
                previous.add(Signal.handle(s, this::handle));
                signals.add(s);
            } catch (IllegalArgumentException unavailable) {
                // the JVM keeps it (-Xrs) or the platform lacks it: its default stays
            }
        }
        return new Armed(signals, previous);
    }

    /** The handle of {@link #arm}: the command says where it is; closing restores the JVM's handlers. */
    final class Armed implements AutoCloseable {
        private final List<Signal> signals;
        private final List<SignalHandler> previous;

        private Armed(List<Signal> signals, List<SignalHandler> previous) {
            this.signals = signals;
            this.previous = previous;
        }

        /**
         * Writing starts; a failure from here that does not say otherwise leaves {@code ifStopped}.
         * A signal that arrived before (its interrupt swallowed somewhere) stops the command here.
         */
        void writing(TargetState ifStopped) {
            if (received.get() != null) {
                throw new CancellationException("signal received before writing");
            }
            ifStoppedWriting = ifStopped;
            phase = Phase.WRITING;
        }

        /** The target is complete: a signal from now on no longer undoes the restore. */
        void done() {
            phase = Phase.DONE;
        }

        @Override
        public void close() {
            for (int i = 0; i < signals.size(); i++) {
                try {
                    Signal.handle(signals.get(i), previous.get(i));
                } catch (IllegalArgumentException ignored) {
                    // it was never ours to give back
                }
            }
        }
    }

    /** True when a signal arrived while the command ran. */
    boolean signalled() {
        return received.get() != null;
    }

    /** The command's outcome was reported: a handler waiting for it may let the process end. */
    void finished() {
        finished.countDown();
    }

    /**
     * The cancellation report for a command that ended with {@code failure} (null: unknown, it did
     * not stop) after a signal: kind {@code cancelled}, exit 128 + the signal's number, the target
     * and what is left there.
     */
    ErrorReport report(Throwable thrown) {
        Throwable failure = thrown instanceof UncheckedIOException u ? u.getCause() : thrown;
        Signal s = received.get();
        String by = "cancelled: interrupted by a signal (SIG" + s.getName() + ")";
        String name = target;
        long guest = -1;
        String what;
        if (failure instanceof RestoreIncompleteException ri) {
            // names the disk being written (restore-vm) and what its restore left there
            name = ri.resource() != null ? ri.resource() : name;
            guest = ri.guestOffset();
            what = by + ": " + ri.reason() + written(ri.targetState());
        } else if (phase == Phase.VALIDATING || failure instanceof Qcow2Exception) {
            // a refusal (the target, a lock) comes before the first change
            what = by + " before anything was written; the target was left untouched";
        } else if (phase == Phase.DONE) {
            what = by + " after the restore completed; the target is complete";
        } else {
            what = by + (failure == null ? " while writing; the restore did not stop within " + WAIT_SECONDS + " s"
                    : " while writing") + "; " + ifStoppedWriting.description() + written(ifStoppedWriting);
        }
        return new ErrorReport("cancelled", status(s), name + ": " + what, name, null, -1, guest);
    }

    /** Said of a target written in place, which a caller might otherwise take as merely unfinished. */
    private static String written(TargetState state) {
        return state == TargetState.PARTIALLY_WRITTEN ? " (partially written: do not use it)" : "";
    }

    private static int status(Signal s) {
        return 128 + s.getNumber();
    }

    private void handle(Signal s) {
        if (!received.compareAndSet(null, s)) {
            Runtime.getRuntime().halt(status(received.get())); // asked twice: stop now
        }
        Thread w = worker;
        if (w != null) {
            w.interrupt();
        }
        try {
            if (finished.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                return; // reported; the process ends with the report's status
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reporter.accept(report(null));
        Runtime.getRuntime().halt(status(s));
    }
}
