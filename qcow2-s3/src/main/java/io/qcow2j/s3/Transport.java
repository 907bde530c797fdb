package io.qcow2j.s3;

import io.qcow2j.core.internal.PartsCursor;
import java.nio.ByteBuffer;

/**
 * One attempt of a HEAD or a ranged GET, by one of two transports: the SDK's client
 * ({@link SdkTransport}) or our own ({@link DirectGets}). {@link ObjectRequests} retries around
 * them; every failure is classified by {@link Failure#of}.
 */
interface Transport extends AutoCloseable {
    /** Where a GET's body goes: one buffer, or parts spread over the span. */
    sealed interface Target permits Into, Spread {
    }

    /** The body into {@code dst}, from its position on. */
    record Into(ByteBuffer dst) implements Target {
    }

    /** The body spread over a cursor's parts, from where it stopped. */
    record Spread(PartsCursor cursor) implements Target {
    }

    /** Size and entity tag of the object as the answer's fields said them (either may be null). */
    record Head(String contentLength, String eTag) {
    }

    /** One HEAD. */
    Head head(S3Location location) throws Exception;

    /**
     * One ranged GET of {@code length} bytes at {@code position}, checked against {@code info}
     * (the range answered, the entity tag, the size), its body to {@code target}.
     */
    void get(ObjectInfo info, long position, int length, Target target) throws Exception;

    /** One GET of the object's first byte, for the S3 error code a HEAD's answer lacks; its result dropped. */
    void probe(S3Location location) throws Exception;

    @Override
    void close();
}
