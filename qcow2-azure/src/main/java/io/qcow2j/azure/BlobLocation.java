package io.qcow2j.azure;

import java.util.Objects;

/**
 * One blob in a container, written {@code az://container/blob}. The blob name is kept exactly as
 * given: the manifests name blobs verbatim.
 *
 * @param container the container name: not empty, no {@code /}
 * @param blob      the blob name: not empty
 */
public record BlobLocation(String container, String blob) {
    private static final String SCHEME = "az://";

    /** @throws IllegalArgumentException when the container is empty or holds a {@code /}, or the blob is empty */
    public BlobLocation {
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(blob, "blob");
        if (container.isEmpty() || container.indexOf('/') >= 0) {
            throw new IllegalArgumentException("container name '" + container + "' is empty or contains '/'");
        }
        if (blob.isEmpty()) {
            throw new IllegalArgumentException("empty blob name in container '" + container + "'");
        }
    }

    /**
     * Parses {@code az://container/blob}.
     *
     * @throws IllegalArgumentException naming the text and what is wrong with it
     */
    public static BlobLocation parse(String uri) {
        if (!isAzureUri(uri)) {
            throw new IllegalArgumentException("'" + uri + "' is not an az:// URI (expected az://container/blob)");
        }
        String rest = uri.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        String blob = slash <= 0 ? "" : rest.substring(slash + 1);
        if (blob.isEmpty() || blob.endsWith("/")) {
            throw new IllegalArgumentException("'" + uri + "' names no blob (expected az://container/blob)");
        }
        return new BlobLocation(rest.substring(0, slash), blob);
    }

    /** Whether {@code text} starts with {@code az://}, i.e. is meant as a blob and not a local path. */
    public static boolean isAzureUri(String text) {
        return text != null && text.regionMatches(true, 0, SCHEME, 0, SCHEME.length());
    }

    /** {@code az://container/blob}. */
    @Override
    public String toString() {
        return SCHEME + container + "/" + blob;
    }
}
