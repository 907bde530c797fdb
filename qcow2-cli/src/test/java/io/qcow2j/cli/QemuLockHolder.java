package io.qcow2j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * qemu holding a file as a read-write raw image ({@code qemu-io … sleep}), with its locks taken
 * (seen in /proc/locks) when {@link #hold} returns: another writer of the file, as a running restore
 * is one too. {@link #close()} ends it.
 */
public final class QemuLockHolder implements AutoCloseable {
    private final Process qemu;

    private QemuLockHolder(Process qemu) {
        this.qemu = qemu;
    }

    public static QemuLockHolder hold(Path file) throws IOException, InterruptedException {
        Process qemu = new ProcessBuilder("qemu-io", "-f", "raw", "-c", "sleep 60000", file.toString())
                .redirectErrorStream(true).start();
        long ino = (Long) Files.getAttribute(file, "unix:ino");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Files.readAllLines(Path.of("/proc/locks")).stream().noneMatch(l -> l.matches(".*:" + ino + "\\s.*"))) {
            if (!qemu.isAlive() || System.nanoTime() > deadline) {
                qemu.destroyForcibly();
                throw new IOException("qemu-io did not lock " + file + ": "
                        + new String(qemu.getInputStream().readNBytes(4096)));
            }
            Thread.sleep(50);
        }
        return new QemuLockHolder(qemu);
    }

    @Override
    public void close() throws InterruptedException {
        qemu.destroyForcibly().waitFor();
    }
}
