package io.qcow2j.azure;

/**
 * What a blob's properties request says about it.
 *
 * @param location the blob
 * @param size     its length in bytes
 * @param eTag     its ETag; every read sends it as {@code If-Match}, so a replaced blob fails
 *                 instead of mixing two versions
 */
public record BlobInfo(BlobLocation location, long size, String eTag) {
}
