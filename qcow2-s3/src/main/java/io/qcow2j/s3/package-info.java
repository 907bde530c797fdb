/**
 * Object storage as a byte source: S3 objects read with ranged GETs, so a chain in a bucket is
 * restored without downloading it.
 *
 * <p>{@link io.qcow2j.s3.ObjectStore} holds one client and its connection pool, configured by
 * {@link io.qcow2j.s3.S3Settings} (the standard {@code AWS_*} environment, shared credentials
 * files, custom CA, path-style, SSE-C), or sends through a client the caller built
 * ({@link io.qcow2j.s3.ObjectStore#of}); {@link io.qcow2j.s3.S3ByteSource} is one object as a
 * {@link io.qcow2j.core.ByteSource}, retried with backoff, never a short range taken as zeros;
 * {@link io.qcow2j.s3.ObjectStore#bucket} is a bucket as a store-neutral
 * {@link io.qcow2j.core.remote.ObjectContainer}, which qcow2-oadp reads backups through. A
 * request that fails is an {@link io.qcow2j.s3.ObjectStoreException} naming the object and the
 * range.
 */
package io.qcow2j.s3;
