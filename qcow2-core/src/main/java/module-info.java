/**
 * qcow2j's core: reads and validates one qcow2 image. {@code io.qcow2j.core} is the API and
 * {@code io.qcow2j.core.check} the {@code qemu-img check} equivalent; the format and compress
 * packages are internal and not exported.
 */
module io.qcow2j.core {
    requires com.github.luben.zstd_jni;

    exports io.qcow2j.core;
    exports io.qcow2j.core.check;
}
