package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.FileByteSource;
import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.NativeLibraryUnavailableException;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.RefusedException;
import io.qcow2j.core.SourceAccessException;
import io.qcow2j.core.testing.TestData;
import io.qcow2j.restore.model.ChainModel;
import io.qcow2j.restore.model.ChainModel.Image;
import io.qcow2j.restore.target.InvalidTargetException;
import io.qcow2j.restore.target.Sink;
import io.qcow2j.restore.target.TargetKind;
import io.qcow2j.restore.target.WriteFailedException;
import io.qcow2j.restore.testing.ChannelSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The error contract of {@link Restore#run()}, each documented exception with what it leaves at an
 * existing target: a {@link RefusedException} (whatever the subtype) leaves its bytes and its
 * modification time as they were; a {@link RestoreIncompleteException} says by its
 * {@link TargetState} what it left, and by its cause whether a source (naming it) or the target
 * failed.
 */
class ErrorContractTest {
    private static final long M = 1 << 20;
    private static final FileTime OLD = FileTime.fromMillis(1_000_000_000_000L);

    @TempDir
    Path dir;
    private List<Path> files;
    private Path target;
    private byte[] old;

    @BeforeEach
    void chainAndTarget() throws IOException {
        Image full = new Image(16, false, 8 * M);
        Image inc = new Image(12, false, 8 * M);
        full.write(0, 6 * M, 1);
        inc.write(M, 2 * M, 2).zero(5 * M, M);
        files = new ChainModel(List.of(full, inc)).write(dir);
        target = dir.resolve("target.raw");
        old = new byte[(int) M];
        Arrays.fill(old, (byte) 0x5a);
        Files.write(target, old);
        Files.setLastModifiedTime(target, OLD);
    }

    private void assertUntouched(Path p, byte[] bytes) throws IOException {
        assertArrayEquals(bytes, Files.readAllBytes(p), p + ": content and size as before");
        assertEquals(OLD, Files.getLastModifiedTime(p), p + ": not opened for writing");
    }

    private <T extends RefusedException> T refused(Class<T> type, List<Path> images) throws IOException {
        T e = assertThrows(type, () -> Restore.run(images, target, RestoreOptions.defaults()));
        assertUntouched(target, old);
        return e;
    }

    @Test
    void anInvalidImageIsRefusedBeforeWriting() throws IOException {
        Path junk = dir.resolve("junk.qcow2");
        Files.write(junk, new byte[4096]);
        InvalidImageException e = refused(InvalidImageException.class, List.of(files.get(0), junk));
        assertEquals(junk.toString(), e.resource());
    }

    @Test
    void aMissingImageIsRefusedBeforeWriting() throws IOException {
        Path missing = dir.resolve("missing.qcow2");
        SourceAccessException e = refused(SourceAccessException.class, List.of(files.get(0), missing));
        assertEquals(missing.toString(), e.resource());
    }

    @Test
    void anInvalidChainIsRefusedBeforeWriting() throws IOException {
        refused(InvalidChainException.class, List.of(files.get(0), files.get(0)));
    }

    @Test
    void anInvalidTargetIsRefusedAndLeftAsItWas() throws IOException {
        Path image = files.get(1);
        byte[] bytes = Files.readAllBytes(image);
        Files.setLastModifiedTime(image, OLD);
        InvalidTargetException e = assertThrows(InvalidTargetException.class,
                () -> Restore.run(files, image, RestoreOptions.defaults()));
        assertInstanceOf(RefusedException.class, e);
        assertUntouched(image, bytes);
    }

    /** Memory and native libraries: refused in a JVM of its own that lacks them. */
    @Test
    void tooLittleMemoryIsRefusedBeforeWriting() throws Exception {
        String outcome = inOwnJvm(List.of("-XX:MaxDirectMemorySize=1m"), files);
        assertTrue(outcome.startsWith(InsufficientMemoryException.class.getName() + " refused=true"), outcome);
        assertUntouched(target, old);
    }

    @Test
    void aMissingNativeLibraryIsRefusedBeforeWriting() throws Exception {
        String outcome = inOwnJvm(List.of("-DZstdNativePath=" + dir.resolve("no-such-libzstd-jni.so")),
                List.of(TestData.image("compressed-zstd.qcow2")));
        assertTrue(outcome.startsWith(NativeLibraryUnavailableException.class.getName() + " refused=true"), outcome);
        assertUntouched(target, old);
    }

    @Test
    void aCancelBeforeRunLeavesTheTargetUnchanged() throws IOException {
        try (Chain chain = Chain.open(files, OpenOptions.defaults())) {
            Restore r = Restore.of(chain, target, RestoreOptions.defaults());
            r.cancel();
            RestoreCancelledException e = assertThrows(RestoreCancelledException.class, r::run);
            assertEquals(TargetState.UNCHANGED, e.targetState());
        }
        assertUntouched(target, old);
    }

    /** A source that fails (or closes its chain) on the first read once armed, as a network does. */
    private static final class FailingSource implements ByteSource {
        private final FileByteSource file;
        private final AtomicBoolean armed;
        private final IOException failure;
        private final Runnable beforeFailing;

        FailingSource(Path p, AtomicBoolean armed, IOException failure, Runnable beforeFailing) throws IOException {
            this.file = FileByteSource.open(p);
            this.armed = armed;
            this.failure = failure;
            this.beforeFailing = beforeFailing;
        }

        @Override
        public String name() {
            return "remote://bucket/" + file.path().getFileName();
        }

        @Override
        public long size() throws IOException {
            return file.size();
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            if (armed.get()) {
                beforeFailing.run();
                if (failure != null) {
                    throw failure;
                }
            }
            return file.read(dst, position);
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }

    private RestoreIncompleteException incompleteFromSources(IOException failure, boolean closeChain)
            throws IOException {
        AtomicBoolean armed = new AtomicBoolean();
        AtomicReference<Chain> chain = new AtomicReference<>();
        List<ByteSource> sources = new ArrayList<>();
        for (Path p : files) {
            sources.add(new FailingSource(p, armed, failure, () -> {
                if (closeChain) {
                    try {
                        chain.get().close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }));
        }
        chain.set(Chain.of(sources, OpenOptions.defaults()));
        try (Chain c = chain.get()) {
            armed.set(true); // every table was read and checked while opening: the next reads are the run's
            return assertThrows(RestoreIncompleteException.class,
                    () -> Restore.of(c, target, RestoreOptions.defaults()).run());
        }
    }

    @Test
    void aSourceFailingAfterWritingBeganIsNamedAndIsNotAWriteFailure() throws IOException {
        RestoreIncompleteException e = incompleteFromSources(new IOException("connection reset by peer"), false);
        assertEquals(TargetState.PARTIALLY_WRITTEN, e.targetState());
        SourceAccessException cause = assertInstanceOf(SourceAccessException.class, e.getCause(), e.getMessage());
        assertTrue(cause.resource().startsWith("remote://bucket/"), cause.getMessage());
        assertTrue(cause.offset() >= 0, "the file offset of the failed read: " + cause.getMessage());
        assertTrue(e.getMessage().contains(cause.resource()) && e.getMessage().contains("connection reset by peer"),
                e.getMessage());
        assertFalse(e.getMessage().contains("write failed"), e.getMessage());
        assertEquals(8 * M, Files.size(target), "written in place: resized, no longer the old content");
    }

    @Test
    void closingTheChainMidRunNamesTheClosedImage() throws IOException {
        RestoreIncompleteException e = incompleteFromSources(null, true);
        assertFalse(e.getMessage().contains("null"), e.getMessage());
        assertFalse(e.getMessage().contains("write failed"), e.getMessage());
        SourceAccessException cause = assertInstanceOf(SourceAccessException.class, e.getCause(), e.getMessage());
        assertTrue(cause.getMessage().contains("closed"), cause.getMessage());
        assertNotEquals(OLD, Files.getLastModifiedTime(target));
    }

    @Test
    void aTargetFailingToWriteIsAWriteFailure() throws IOException {
        try (Chain chain = Chain.open(files, OpenOptions.defaults());
             FileChannel ch = FileChannel.open(target, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ChannelSink file = new ChannelSink(target, ch);
            Sink failing = new Sink() { // a full disk
                @Override
                public String name() {
                    return file.name();
                }

                @Override
                public TargetKind kind() {
                    return file.kind();
                }

                @Override
                public boolean direct() {
                    return false;
                }

                @Override
                public boolean readsAsZeros() {
                    return false;
                }

                @Override
                public void write(ByteBuffer src, long position) throws IOException {
                    throw new WriteFailedException(position, new IOException("No space left on device"));
                }

                @Override
                public long zero(long offset, long length) throws IOException {
                    return file.zero(offset, length);
                }

                @Override
                public int minZeroRun() {
                    return Integer.MAX_VALUE;
                }

                @Override
                public void flush() {
                }

                @Override
                public void force() throws IOException {
                    file.force();
                }

                @Override
                public void close() {
                }
            };
            RestoreIncompleteException e = assertThrows(RestoreIncompleteException.class,
                    () -> Restore.of(chain, failing, RestoreOptions.defaults()).run());
            assertInstanceOf(WriteFailedException.class, e.getCause());
            assertTrue(e.getMessage().contains("write failed: No space left on device"), e.getMessage());
            assertEquals(TargetState.PARTIALLY_WRITTEN, e.targetState());
        }
    }

    /**
     * Runs {@link ContractProbe} in a JVM of its own with {@code jvmArgs}: what it threw, and whether
     * it was a refusal.
     */
    private String inOwnJvm(List<String> jvmArgs, List<Path> images) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ContractProbe.class.getName(),
                target.toString()));
        images.forEach(p -> cmd.add(p.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe finished");
        return new String(p.getInputStream().readAllBytes()).trim();
    }
}
