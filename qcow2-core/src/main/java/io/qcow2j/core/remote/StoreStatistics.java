package io.qcow2j.core.remote;

/**
 * A snapshot of what a connection to an object store has done so far, for a CLI's summary.
 *
 * @param requests     HTTP requests sent (metadata and reads, retries included)
 * @param retries      of those, the ones that repeated a failed attempt
 * @param bytesFetched object bytes received in response bodies (headers not counted)
 */
public record StoreStatistics(long requests, long retries, long bytesFetched) {
    /** Both counts added up. */
    public StoreStatistics plus(StoreStatistics other) {
        return new StoreStatistics(requests + other.requests, retries + other.retries,
                bytesFetched + other.bytesFetched);
    }
}
