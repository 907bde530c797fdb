package io.qcow2j.s3;

import io.qcow2j.core.internal.PartsCursor;

/**
 * One attempt of a HEAD or a ranged GET, by one of two transports: the SDK's client
 * ({@link SdkTransport}) or our own ({@link DirectGets}). {@link ObjectRequests} retries around
 * them; every failure is classified by {@link Failure#of}.
 */
interface Transport extends AutoCloseable {
    /** Size and entity tag of the object as the answer's fields said them (either may be null). */
    record Head(String contentLength, String eTag) {
    }

    /** One HEAD. */
    Head head(S3Location location) throws Exception;

    /**
     * One ranged GET of what {@code cursor} still wants ({@link PartsCursor#resumeAt()},
     * {@link PartsCursor#remaining()}), checked against {@code info} (the range answered, the entity
     * tag, the size), its body into the cursor's parts.
     */
    void get(ObjectInfo info, PartsCursor cursor) throws Exception;

    /** One GET of the object's first byte, for the S3 error code a HEAD's answer lacks; its result dropped. */
    void probe(S3Location location) throws Exception;

    @Override
    void close();
}
