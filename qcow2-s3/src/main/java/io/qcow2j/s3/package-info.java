/**
 * Object storage as a byte source: S3 objects read with ranged GETs, so a chain in a bucket is
 * restored without downloading it.
 *
 * <p>{@link io.qcow2j.s3.ObjectStore} holds one client and its connection pool, configured by
 * {@link io.qcow2j.s3.S3Settings} (the standard {@code AWS_*} environment, shared credentials
 * files, custom CA, path-style, SSE-C); {@link io.qcow2j.s3.S3ByteSource} is one object as a
 * {@link io.qcow2j.core.ByteSource}, retried with backoff, never a short range taken as zeros;
 * {@link io.qcow2j.s3.S3BackupLocation} is a kubevirt-datamover backup location in a bucket. A
 * request that fails is an {@link io.qcow2j.s3.ObjectStoreException} naming the object and the
 * range.
 */
package io.qcow2j.s3;
