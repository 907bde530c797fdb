/**
 * Images and OADP backup locations in Google Cloud Storage: {@link io.qcow2j.gcs.GcsStore} opens
 * objects as {@link io.qcow2j.core.ByteSource}s read with ranged GETs pinned to the generation of one
 * metadata request, and {@link io.qcow2j.gcs.GcsStore#bucket} gives a bucket as the
 * {@link io.qcow2j.core.remote.ObjectContainer} qcow2-oadp reads backup locations through. The
 * same guarantees as qcow2-s3's and qcow2-azure's, with no dependency on them.
 */
package io.qcow2j.gcs;
