/**
 * Azure Blob Storage for qcow2j: blobs as {@link io.qcow2j.core.ByteSource}s read with ranged GETs
 * pinned to their ETag, and containers as store-neutral {@link io.qcow2j.core.remote.ObjectContainer}s.
 * Needs qcow2-core and the Azure SDK, not qcow2-restore or qcow2-s3.
 */
module io.qcow2j.azure {
    requires transitive io.qcow2j.core;
    requires transitive com.azure.core;
    requires com.azure.core.http.jdk.httpclient;
    requires com.azure.identity;
    requires com.azure.storage.blob;
    requires com.azure.storage.common;

    exports io.qcow2j.azure;
}
