package io.qcow2j.oadp;

import io.qcow2j.restore.target.Sink;
import io.qcow2j.restore.target.TargetKind;
import java.nio.ByteBuffer;

/**
 * A restore target that keeps nothing: {@link BackupVerifier}'s deep mode runs the restore's own
 * pipeline into it (every winning cluster fetched and inflated by the same workers, in the same
 * bounded buffers) to get the digest a restore reports, without a disk to write.
 */
final class DiscardingSink implements Sink {
    @Override
    public String name() {
        return "deep verification (nothing written)";
    }

    @Override
    public TargetKind kind() {
        return TargetKind.NEW_FILE; // reads as zeros: zero ranges cost nothing, as on a new sparse file
    }

    @Override
    public boolean direct() {
        return true; // nothing to flush in the background
    }

    @Override
    public boolean readsAsZeros() {
        return true;
    }

    @Override
    public void write(ByteBuffer src, long position) {
        src.position(src.limit());
    }

    @Override
    public long zero(long offset, long length) {
        return length;
    }

    @Override
    public int minZeroRun() {
        return Integer.MAX_VALUE;
    }

    @Override
    public void flush() {
    }

    @Override
    public void force() {
    }

    @Override
    public void close() {
    }
}
