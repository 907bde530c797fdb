/**
 * Images and OADP backup locations in Google Cloud Storage: {@link io.qcow2j.gcs.GcsStore} opens
 * objects as {@link io.qcow2j.core.ByteSource}s read with ranged GETs pinned to the generation of one
 * metadata request, and {@link io.qcow2j.gcs.GcsBackupLocation} reads a location in a bucket. The
 * same guarantees as qcow2-s3's and qcow2-azure's, with no dependency on them.
 */
package io.qcow2j.gcs;
