package io.qcow2j.restore.internal.pipeline;

/**
 * What a finished run did.
 *
 * @param bytesWritten     bytes written or zeroed on the sink
 * @param zeroBytesSkipped zero bytes left alone because the sink already read as zeros there
 * @param dataBytes        bytes that came from data or compressed clusters
 * @param nanos            wall time from the first write to the end of the force
 * @param digest           the disk digest's value
 */
public record PipelineResult(long bytesWritten, long zeroBytesSkipped, long dataBytes, long nanos, String digest) {
}
