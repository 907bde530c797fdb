/**
 * qcow2j's core: reads and validates one qcow2 image. {@code io.qcow2j.core} is the API and
 * {@code io.qcow2j.core.check} the {@code qemu-img check} equivalent; the format and compress
 * packages are internal and not exported; {@code io.qcow2j.core.remote} is what the object
 * store modules share (retries, network failures).
 */
module io.qcow2j.core {
    // zstd images only: optional, so an embedder that never meets one can leave the native jar out;
    // without it a zstd image is refused with NativeLibraryUnavailableException
    requires static com.github.luben.zstd_jni;

    exports io.qcow2j.core;
    exports io.qcow2j.core.check;
    exports io.qcow2j.core.remote;
    // helpers the other qcow2j modules share (PrintableText, Compression, the stores'
    // RetryLoop): not API
    exports io.qcow2j.core.internal to io.qcow2j.restore, io.qcow2j.oadp, io.qcow2j.s3, io.qcow2j.azure, io.qcow2j.gcs;
}
