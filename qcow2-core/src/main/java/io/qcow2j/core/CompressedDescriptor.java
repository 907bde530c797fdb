package io.qcow2j.core;

/**
 * Where a compressed cluster's bytes are: the spec's compressed cluster descriptor split at
 * {@code x = 62 - (cluster_bits - 8)}: host offset in bits 0..x-1, number of additional 512-byte
 * sectors in bits x..61. The stored range ends on a sector boundary and may overrun the
 * compressed stream itself, so {@link #length()} is an upper bound.
 *
 * @param hostOffset byte offset of the compressed data in the image file (not aligned)
 * @param length     bytes from {@code hostOffset} to the end of the last sector it occupies
 */
public record CompressedDescriptor(long hostOffset, int length) {
}
