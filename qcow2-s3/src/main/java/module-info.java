/**
 * S3-compatible object storage for qcow2j: objects as {@link io.qcow2j.core.ByteSource}s read with
 * ranged GETs pinned to their entity tag, and buckets as store-neutral
 * {@link io.qcow2j.core.remote.ObjectContainer}s. Needs qcow2-core and the AWS SDK for Java v2
 * (2.41.0 or later: its apache5-client), not qcow2-restore.
 */
module io.qcow2j.s3 {
    requires transitive io.qcow2j.core;
    // ObjectStore.of takes the caller's S3Client
    requires transitive software.amazon.awssdk.services.s3;
    requires software.amazon.awssdk.auth;
    requires software.amazon.awssdk.awscore;
    requires software.amazon.awssdk.core;
    requires software.amazon.awssdk.http;
    requires software.amazon.awssdk.http.apache5;
    requires software.amazon.awssdk.http.auth.aws;
    requires software.amazon.awssdk.http.auth.spi;
    requires software.amazon.awssdk.identity.spi;
    requires software.amazon.awssdk.profiles;
    requires software.amazon.awssdk.regions;
    requires software.amazon.awssdk.services.sts;
    requires software.amazon.awssdk.utils;
    // The SDK and HttpClient 5 are automatic modules, which bring none of the platform modules
    // they use into a module graph: the S3 protocol's XML (StAX), HttpClient 5's host-name checks
    // (javax.naming's LDAP names) and its TCP keep-alive options (jdk.net.ExtendedSocketOptions,
    // reflectively; without jdk.net it silently keeps the system's defaults).
    requires java.xml;
    requires java.naming;
    requires jdk.net;

    exports io.qcow2j.s3;
}
