package io.qcow2j.s3;

import java.util.Objects;

/**
 * One object in a bucket, written {@code s3://bucket/key}. The key is kept exactly as given (no
 * normalisation of slashes or dots): S3 keys are opaque strings, and the manifests name them verbatim.
 *
 * @param bucket the bucket name: not empty, no {@code /}
 * @param key    the object key: not empty
 */
public record S3Location(String bucket, String key) {
    private static final String SCHEME = "s3://";

    /**
     * @throws IllegalArgumentException when the bucket is empty or holds a {@code /}, or the key is empty
     */
    public S3Location {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(key, "key");
        if (bucket.isEmpty()) {
            throw new IllegalArgumentException("empty bucket name");
        }
        if (bucket.indexOf('/') >= 0) {
            throw new IllegalArgumentException("bucket name '" + bucket + "' contains '/'");
        }
        if (key.isEmpty()) {
            throw new IllegalArgumentException("empty object key in bucket '" + bucket + "'");
        }
    }

    /**
     * Parses {@code s3://bucket/key}.
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it: another scheme, no
     *                                  bucket, no key (a bucket alone or a key ending the URI with {@code /}
     *                                  names no object)
     */
    public static S3Location parse(String uri) {
        Objects.requireNonNull(uri, "uri");
        if (!uri.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            throw new IllegalArgumentException("'" + uri + "' is not an s3:// URI (expected s3://bucket/key)");
        }
        String rest = uri.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + uri + "' names no object (expected s3://bucket/key)");
        }
        if (slash == 0) {
            throw new IllegalArgumentException("'" + uri + "' has no bucket name (expected s3://bucket/key)");
        }
        String key = rest.substring(slash + 1);
        if (key.isEmpty() || key.endsWith("/")) {
            throw new IllegalArgumentException("'" + uri + "' names a prefix, not an object (expected s3://bucket/key)");
        }
        return new S3Location(rest.substring(0, slash), key);
    }

    /** Whether {@code text} starts with {@code s3://}, i.e. is meant as an object and not a local path. */
    public static boolean isS3Uri(String text) {
        return text != null && text.regionMatches(true, 0, SCHEME, 0, SCHEME.length());
    }

    /** The object {@code key} in the same bucket. */
    public S3Location withKey(String key) {
        return new S3Location(bucket, key);
    }

    /** {@code s3://bucket/key}. */
    @Override
    public String toString() {
        return SCHEME + bucket + "/" + key;
    }
}
