/**
 * The restore library: validate a chain of qcow2 backups, compose it and stream the restored disk
 * to a file or block device. Only the API packages are exported; the pipeline and the Linux calls
 * are internal.
 */
module io.qcow2j.restore {
    requires transitive io.qcow2j.core;
    // optional in qcow2-core; required here so that a restore on the module path reads zstd images
    requires com.github.luben.zstd_jni;
    // ExtendedOpenOption.DIRECT, for --direct
    requires jdk.unsupported;
    requires com.sun.jna;
    // the memory budget: direct-memory limit and use
    requires java.management;
    requires jdk.management;
    requires org.lz4.java;

    exports io.qcow2j.restore;
    exports io.qcow2j.restore.compose;
    exports io.qcow2j.restore.digest;
    exports io.qcow2j.restore.target;
    // FreeHeap: the OADP module budgets metadata reads as the restore does
    exports io.qcow2j.restore.internal to io.qcow2j.oadp;

    // JNA reads the libc interface's options reflectively when it binds it
    opens io.qcow2j.restore.internal.linux to com.sun.jna;
}
