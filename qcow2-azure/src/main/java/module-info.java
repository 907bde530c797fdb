/**
 * Azure Blob Storage for qcow2j: blobs as {@link io.qcow2j.core.ByteSource}s read with ranged GETs
 * pinned to their ETag, and OADP backup locations in a container. Needs qcow2-core, qcow2-restore
 * and the Azure SDK, not qcow2-s3.
 */
module io.qcow2j.azure {
    requires transitive io.qcow2j.core;
    requires transitive io.qcow2j.oadp;
    requires transitive com.azure.core;
    requires com.azure.core.http.jdk.httpclient;
    requires com.azure.identity;
    requires com.azure.storage.blob;
    requires com.azure.storage.common;

    exports io.qcow2j.azure;
}
