package io.qcow2j.core.internal;

/** Where a response body's bytes go as they arrive: a buffer's {@code put}, or a {@link PartsCursor}. */
@FunctionalInterface
public interface BodySink {
    void put(byte[] b, int off, int len);
}
