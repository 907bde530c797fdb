package io.qcow2j.restore.internal.pipeline;

import io.qcow2j.restore.internal.TaskFailure;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadFactory;

/**
 * Runs a piece of I/O on a thread of its own and turns an interrupt of the caller into a
 * cancellation request. The caller's thread must not do the I/O itself: an interrupt arriving during
 * an image read or a target resize closes that {@code FileChannel} ({@code ClosedByInterruptException}),
 * which would escape as a raw I/O error and break the chain's other readers instead of ending as a
 * clean cancellation.
 */
public final class Uninterruptible {
    /** A piece of work that does I/O. */
    @FunctionalInterface
    public interface IoTask<T> {
        T call() throws IOException;
    }

    private Uninterruptible() {
    }

    /**
     * Runs {@code body} on a new thread from {@code threads} and waits for it; an interrupt of the
     * calling thread (before or during) runs {@code cancel} once, then keeps waiting, and is
     * restored on the calling thread at the end.
     */
    public static <T> T call(IoTask<T> body, Runnable cancel, ThreadFactory threads) throws IOException {
        // interrupted already: cancel before the working thread starts, or it may race ahead
        boolean interrupted = Thread.interrupted();
        if (interrupted) {
            cancel.run();
        }
        FutureTask<T> task = new FutureTask<>(body::call);
        threads.newThread(task).start();
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    if (!interrupted) {
                        cancel.run(); // then wait for the workers to finish their blocks
                    }
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw TaskFailure.rethrown(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
