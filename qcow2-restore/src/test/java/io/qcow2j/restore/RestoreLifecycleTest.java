package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.OpenOptions;
import io.qcow2j.restore.model.ChainModel;
import io.qcow2j.restore.model.ChainModel.Image;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A {@link Restore} runs once; a cancel before it runs touches nothing; opening runs on the caller's threads. */
class RestoreLifecycleTest {
    private static final long M = 1 << 20;

    @TempDir
    Path dir;
    private List<Path> files;
    private ChainModel model;

    @BeforeEach
    void chain() throws IOException {
        Image full = new Image(16, false, 8 * M);
        Image inc = new Image(12, false, 8 * M);
        full.write(0, 4 * M, 1);
        inc.write(M, M, 2).zero(3 * M, M);
        model = new ChainModel(List.of(full, inc));
        files = model.write(dir);
    }

    @Test
    void aSecondRunIsRefusedAsMisuse() throws IOException {
        Path target = dir.resolve("disk.raw");
        try (Chain chain = Chain.open(files, OpenOptions.defaults())) {
            Restore restore = Restore.of(chain, target, RestoreOptions.defaults());
            restore.run();
            IllegalStateException e = assertThrows(IllegalStateException.class, restore::run);
            assertTrue(e.getMessage().contains("runs once"), e.getMessage());
        }
        ModelChecks.assertDiskEquals(model, target);
    }

    @Test
    void aCancelBeforeRunLeavesAnExistingTargetUntouched() throws IOException {
        Path target = dir.resolve("existing.raw");
        byte[] old = new byte[(int) M];
        Arrays.fill(old, (byte) 0x5a);
        Files.write(target, old);
        FileTime mtime = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(target, mtime);
        for (boolean replace : new boolean[] {false, true}) {
            try (Chain chain = Chain.open(files, OpenOptions.defaults())) {
                Restore restore = Restore.of(chain, target, RestoreOptions.builder().replaceExistingFile(replace)
                        .build());
                restore.cancel();
                RestoreCancelledException e = assertThrows(RestoreCancelledException.class, restore::run);
                assertEquals(TargetState.UNCHANGED, e.targetState(), e.getMessage());
                assertTrue(e.getMessage().contains("before writing began"), e.getMessage());
            }
            assertArrayEquals(old, Files.readAllBytes(target), "content and size as before");
            assertEquals(mtime, Files.getLastModifiedTime(target), "not even opened for writing");
        }
        assertEquals(Set.of(target), listing(), "no staging file left beside it");
    }

    @Test
    void theChainOpensOnThreadsOfTheCallersFactory() throws IOException {
        Set<String> made = ConcurrentHashMap.newKeySet();
        Set<String> ran = ConcurrentHashMap.newKeySet();
        ThreadFactory mine = r -> {
            Thread t = new Thread(() -> {
                ran.add(Thread.currentThread().getName());
                r.run();
            }, "embedder-open-" + made.size());
            made.add(t.getName());
            t.setDaemon(true);
            return t;
        };
        try (Chain chain = Chain.open(files, ChainOptions.defaults().withThreadFactory(mine))) {
            assertEquals(2, chain.images().size());
        }
        assertFalse(ran.isEmpty(), "the images were opened on the caller's threads");
        assertEquals(made, ran);
        Chain.Composed c = Chain.ofComposed(sources(), ChainOptions.defaults().withThreadFactory(mine));
        try (Chain composed = c.chain()) {
            assertTrue(c.dataBytes() > 0);
        }
        assertTrue(ran.stream().allMatch(n -> n.startsWith("embedder-open-")), ran.toString());
    }

    /** The chain's files as byte sources. */
    private List<io.qcow2j.core.FileByteSource> sources() throws IOException {
        List<io.qcow2j.core.FileByteSource> out = new java.util.ArrayList<>();
        for (Path p : files) {
            out.add(io.qcow2j.core.FileByteSource.open(p));
        }
        return out;
    }

    /** The files in the directory other than the chain's. */
    private Set<Path> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !files.contains(p)).collect(java.util.stream.Collectors.toSet());
        }
    }
}
