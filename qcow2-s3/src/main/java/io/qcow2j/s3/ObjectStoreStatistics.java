package io.qcow2j.s3;

/**
 * A snapshot of what an {@link ObjectStore} has done so far, for a CLI's summary.
 *
 * @param requests     HTTP requests sent (HEAD and GET, retries included)
 * @param retries      of those, the ones that repeated a failed attempt
 * @param bytesFetched object bytes received in response bodies (headers not counted)
 */
public record ObjectStoreStatistics(long requests, long retries, long bytesFetched) {
}
