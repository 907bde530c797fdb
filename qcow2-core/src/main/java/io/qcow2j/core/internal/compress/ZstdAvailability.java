package io.qcow2j.core.internal.compress;

/**
 * Whether zstd images can be read in this JVM. zstd-jni is an optional dependency of qcow2-core
 * ({@code requires static}): without its jar, zlib and uncompressed images work and a zstd image is
 * refused. This class refers to no class of zstd-jni, so it loads without it; {@link ZstdDecompressor}
 * does not (its exception handlers name zstd-jni's classes). Internal, not API.
 */
public final class ZstdAvailability {
    /** Why zstd cannot be used when zstd-jni's classes are missing. */
    public static final String ABSENT = "zstd-jni is not on the class path or module path";

    private static final boolean PRESENT = find();

    private ZstdAvailability() {
    }

    /**
     * Whether zstd-jni's jar is on the class path, or its module resolved on the module path (a
     * named application adds it with {@code requires com.github.luben.zstd_jni} or
     * {@code --add-modules com.github.luben.zstd_jni}; qcow2-restore requires it). Loads no class
     * of it and no native code.
     */
    public static boolean present() {
        return PRESENT;
    }

    /**
     * Why zstd cannot be used in this JVM, or null when it can: {@link #ABSENT}, or why its native
     * library does not load or work ({@link ZstdDecompressor#loadError()}).
     */
    public static String loadError() {
        return PRESENT ? ZstdDecompressor.loadError() : ABSENT;
    }

    private static boolean find() {
        Module self = ZstdAvailability.class.getModule();
        if (self.isNamed()) {
            return self.getLayer() != null && self.getLayer().findModule("com.github.luben.zstd_jni").isPresent();
        }
        return ZstdAvailability.class.getClassLoader().getResource("com/github/luben/zstd/Zstd.class") != null;
    }
}
