package io.qcow2j.bench;

/**
 * A generated backup chain: a full image with {@code fullFraction} of its clusters allocated (in
 * 1 MiB chunks at random places) and {@code incrementals} images that each change
 * {@code changeFraction} of the disk in runs of 1..16 clusters at random places, a
 * {@code zeroShare} of those runs being zero writes (as QEMU's backup job writes zeroed ranges).
 * Data is incompressible random bytes, except a compressed full image ({@code compression} "zlib" or
 * "zstd"), which is converted by {@code qemu-img convert -c} from text-like data, every cluster
 * compressed. Clusters are 64 KiB.
 */
record ChainSpec(long virtualSize, double fullFraction, int incrementals, double changeFraction, double zeroShare,
        String compression, long seed) {

    static final int CLUSTER = 64 << 10;

    static ChainSpec uncompressed(long virtualSize, double fullFraction, int incrementals, double changeFraction) {
        return new ChainSpec(virtualSize, fullFraction, incrementals, changeFraction, 0.10, "none", 42);
    }

    ChainSpec withCompression(String type) {
        return new ChainSpec(virtualSize, fullFraction, incrementals, changeFraction, zeroShare, type, seed);
    }

    /** A short directory name, also the reuse marker's content. */
    String signature() {
        return String.format("v%dM-f%.3f-i%d-c%.4f-z%.2f-%s-s%d", virtualSize >> 20, fullFraction, incrementals,
                changeFraction, zeroShare, compression, seed);
    }
}
