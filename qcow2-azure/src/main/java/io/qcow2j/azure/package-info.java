/**
 * Images and containers in Azure Blob Storage: {@link io.qcow2j.azure.BlobStore} opens blobs as
 * {@link io.qcow2j.core.ByteSource}s read with ranged GETs pinned to the ETag of one properties
 * request, and {@link io.qcow2j.azure.BlobStore#container} is a container as a store-neutral
 * {@link io.qcow2j.core.remote.ObjectContainer}, which qcow2-oadp reads backups through.
 * The same guarantees as qcow2-s3's, with no dependency on it.
 */
package io.qcow2j.azure;
