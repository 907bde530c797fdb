/**
 * Images and OADP backup locations in Azure Blob Storage: {@link io.qcow2j.azure.BlobStore} opens
 * blobs as {@link io.qcow2j.core.ByteSource}s read with ranged GETs pinned to the ETag of one
 * properties request, and {@link io.qcow2j.azure.AzureBackupLocation} reads a location in a container.
 * The same guarantees as qcow2-s3's, with no dependency on it.
 */
package io.qcow2j.azure;
