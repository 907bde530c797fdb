/**
 * Google Cloud Storage for qcow2j: objects as {@link io.qcow2j.core.ByteSource}s read with ranged
 * GETs pinned to their generation, and buckets as store-neutral
 * {@link io.qcow2j.core.remote.ObjectContainer}s. Needs qcow2-core and
 * Google's JSON API client and auth library, not qcow2-restore, qcow2-s3 or qcow2-azure.
 */
module io.qcow2j.gcs {
    requires transitive io.qcow2j.core;
    requires com.google.api.client;
    requires com.google.api.client.http.apache.v2;
    requires com.google.api.client.json.gson;
    requires com.google.api.services.storage;
    requires com.google.auth;
    requires com.google.auth.oauth2;
    requires google.api.client;
    requires org.apache.httpcomponents.httpclient;
    requires org.apache.httpcomponents.httpcore;

    exports io.qcow2j.gcs;
}
