package io.qcow2j.gcs;

import java.util.Objects;

/**
 * One object in a bucket, written {@code gs://bucket/object}. The object name is kept exactly as
 * given: the manifests name objects verbatim.
 *
 * @param bucket the bucket name: not empty, no {@code /}
 * @param object the object name: not empty
 */
public record GcsLocation(String bucket, String object) {
    private static final String SCHEME = "gs://";

    /** @throws IllegalArgumentException when the bucket is empty or holds a {@code /}, or the object is empty */
    public GcsLocation {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(object, "object");
        if (bucket.isEmpty() || bucket.indexOf('/') >= 0) {
            throw new IllegalArgumentException("bucket name '" + bucket + "' is empty or contains '/'");
        }
        if (object.isEmpty()) {
            throw new IllegalArgumentException("empty object name in bucket '" + bucket + "'");
        }
    }

    /**
     * Parses {@code gs://bucket/object}.
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static GcsLocation parse(String uri) {
        if (!isGcsUri(uri)) {
            throw new IllegalArgumentException("'" + uri + "' is not a gs:// URI (expected gs://bucket/object)");
        }
        String rest = uri.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        String object = slash <= 0 ? "" : rest.substring(slash + 1);
        if (object.isEmpty() || object.endsWith("/")) {
            throw new IllegalArgumentException("'" + uri + "' names no object (expected gs://bucket/object)");
        }
        return new GcsLocation(rest.substring(0, slash), object);
    }

    /** Whether {@code text} starts with {@code gs://}, i.e. is meant as an object and not a local path. */
    public static boolean isGcsUri(String text) {
        return text != null && text.regionMatches(true, 0, SCHEME, 0, SCHEME.length());
    }

    /** {@code gs://bucket/object}. */
    @Override
    public String toString() {
        return SCHEME + bucket + "/" + object;
    }
}
