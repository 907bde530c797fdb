package io.qcow2j.s3;

/**
 * What a HEAD request says about an object.
 *
 * @param location the object
 * @param size     its length in bytes
 * @param eTag     its entity tag as the server sent it (quotes included), or null; reads send it as
 *                 {@code If-Match} so a replaced object fails instead of mixing two versions
 */
public record ObjectInfo(S3Location location, long size, String eTag) {
}
