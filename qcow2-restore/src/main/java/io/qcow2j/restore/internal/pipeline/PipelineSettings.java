package io.qcow2j.restore.internal.pipeline;

import java.util.concurrent.ThreadFactory;
import java.util.function.LongConsumer;

/**
 * How a {@link Pipeline} runs.
 *
 * @param workers    threads reading, inflating and writing blocks (at least 1)
 * @param flushEvery start a background flush of the sink after this many bytes written; 0: never
 * @param progress   receives the guest bytes finished so far, off the worker threads; null for none
 * @param threads    makes every thread of the run (workers, flusher, progress, the planning thread)
 */
public record PipelineSettings(int workers, long flushEvery, LongConsumer progress, ThreadFactory threads) {
    public PipelineSettings {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, got " + workers);
        }
    }
}
