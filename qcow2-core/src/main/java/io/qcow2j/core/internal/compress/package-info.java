/**
 * Owns the inflation of compressed clusters: raw deflate (compression_type 0) and zstd
 * (compression_type 1), one decompressor per thread. Internal, not API: readers use
 * {@link io.qcow2j.core.ExtentReader}.
 */
package io.qcow2j.core.internal.compress;
