package io.qcow2j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.Sha256;
import io.qcow2j.restore.LoopDevice;
import io.qcow2j.restore.Restore;
import io.qcow2j.restore.RestoreIncompleteException;
import io.qcow2j.restore.RestoreOptions;
import io.qcow2j.restore.model.ChainModel.Image;
import io.qcow2j.restore.model.ChainModel;
import io.qcow2j.restore.target.InvalidTargetException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every chain-level failure is found before the target is touched (docs/architecture.md,
 * invariants 3 and 5): a target that did not exist is not created, one that existed keeps its
 * bytes and size, and the CLI exits 3 with one {@code error:} line naming the file and no stack
 * trace.
 */
class ValidationFailuresTest {
    private static final long K = 1024;
    private static final long SIZE = 1 << 20;

    /** What is wrong. */
    enum Failure {
        MISSING_FILE, SAME_FILE_TWICE, SAME_FILE_THROUGH_A_SYMLINK, CORRUPT_MIDDLE_L2, TRUNCATED_MIDDLE,
        NOT_QCOW2, TARGET_IS_A_DIRECTORY, TARGET_IS_AN_IMAGE_OF_THE_CHAIN, TARGET_DEVICE_TOO_SMALL;

        /** Failures about the target come with their own target. */
        boolean ownTarget() {
            return this == TARGET_IS_A_DIRECTORY || this == TARGET_IS_AN_IMAGE_OF_THE_CHAIN
                    || this == TARGET_DEVICE_TOO_SMALL;
        }
    }

    @TempDir
    Path dir;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Failure f : Failure.values()) {
            for (boolean cli : new boolean[] {false, true}) {
                if (f.ownTarget()) {
                    out.add(Arguments.of(f, cli, false));
                } else {
                    out.add(Arguments.of(f, cli, false));
                    out.add(Arguments.of(f, cli, true));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}, cli={1}, existing target={2}")
    @MethodSource("cases")
    void failsBeforeTouchingTheTarget(Failure failure, boolean viaCli, boolean existingTarget) throws IOException {
        Image full = new Image(16, false, SIZE).write(0, SIZE, 1);
        Image inc1 = new Image(12, false, SIZE).write(0, 8 * K, 2).write(512 * K, 64 * K, 3);
        Image inc2 = new Image(14, true, SIZE).write(100 * K, 1 * K, 4);
        List<Path> chain = new ArrayList<>(new ChainModel(List.of(full, inc1, inc2))
                .write(Files.createDirectories(dir.resolve("chain"))));
        Path target = dir.resolve("disk.raw");
        if (existingTarget) {
            byte[] garbage = new byte[300_000];
            new Random(5).nextBytes(garbage);
            Files.write(target, garbage);
        }
        Path culprit = chain.get(1);
        LoopDevice device = null;
        try {
            switch (failure) {
                case MISSING_FILE -> {
                    culprit = dir.resolve("chain/missing.qcow2");
                    chain.set(1, culprit);
                }
                case SAME_FILE_TWICE -> {
                    culprit = chain.get(1);
                    chain.set(2, culprit);
                }
                case SAME_FILE_THROUGH_A_SYMLINK -> {
                    culprit = Files.createSymbolicLink(dir.resolve("chain/alias.qcow2"), chain.get(0));
                    chain.set(2, culprit);
                }
                case CORRUPT_MIDDLE_L2 -> setReservedBitInFirstL2Entry(culprit);
                case TRUNCATED_MIDDLE -> {
                    try (FileChannel ch = FileChannel.open(culprit, StandardOpenOption.WRITE)) {
                        ch.truncate(ch.size() - 24 * K); // the refcount structures at the end and the last data clusters
                    }
                }
                case NOT_QCOW2 -> {
                    byte[] raw = new byte[65536];
                    new Random(3).nextBytes(raw);
                    Files.write(culprit, raw);
                }
                case TARGET_IS_A_DIRECTORY -> {
                    target = Files.createDirectories(dir.resolve("a-directory"));
                    culprit = target;
                }
                case TARGET_IS_AN_IMAGE_OF_THE_CHAIN -> {
                    target = chain.get(0);
                    culprit = target;
                }
                case TARGET_DEVICE_TOO_SMALL -> {
                    Path backing = dir.resolve("small-device.img");
                    byte[] garbage = new byte[(int) (SIZE / 2)];
                    new Random(9).nextBytes(garbage);
                    Files.write(backing, garbage);
                    device = LoopDevice.attachOrSkip(backing);
                    target = device.path();
                    culprit = target;
                }
                default -> throw new IllegalStateException();
            }
            boolean existed = Files.exists(target);
            String before = existed && Files.isRegularFile(target) || failure == Failure.TARGET_DEVICE_TOO_SMALL
                    ? Sha256.of(target) : null;
            long sizeBefore = existed && Files.isRegularFile(target) ? Files.size(target) : -1;
            List<String> imagesBefore = new ArrayList<>();
            for (Path p : chain) {
                imagesBefore.add(Files.isRegularFile(p) ? Sha256.of(p) : null);
            }

            if (viaCli) {
                List<String> args = new ArrayList<>(List.of("restore", "--output", target.toString(), "--progress=none"));
                chain.forEach(p -> args.add(p.toString()));
                CliRun run = CliRun.cli(args);
                int rc = run.exit();
                String e = run.err();
                // a bad target has its own exit code (5), every other refusal here is invalid input (3)
                assertEquals(failure.ownTarget() ? ExitCode.INVALID_TARGET : ExitCode.INVALID, rc, "exit code; stderr: " + e);
                List<String> errorLines = e.lines().filter(l -> l.startsWith("error: ")).toList();
                assertEquals(1, errorLines.size(), "one error line: " + e);
                assertTrue(errorLines.get(0).contains(culprit.toString()), "names " + culprit + ": " + e);
                assertFalse(e.contains("\tat ") || e.contains("Exception"), "no stack trace: " + e);
            } else {
                Path t = target;
                Qcow2Exception e = assertThrows(Qcow2Exception.class,
                        () -> Restore.run(chain, t, RestoreOptions.defaults()));
                assertFalse(e instanceof RestoreIncompleteException, "nothing was started: " + e);
                assertEquals(failure.ownTarget(), e instanceof InvalidTargetException, "exception type: " + e);
                assertTrue(e.getMessage().contains(culprit.toString()), "names " + culprit + ": " + e.getMessage());
            }

            assertEquals(existed, Files.exists(target), "target created or removed");
            if (before != null) {
                assertEquals(before, Sha256.of(target), "target bytes changed");
            }
            if (sizeBefore >= 0) {
                assertEquals(sizeBefore, Files.size(target), "target size changed");
            }
            if (failure == Failure.TARGET_IS_A_DIRECTORY) {
                try (Stream<Path> s = Files.list(target)) {
                    assertEquals(0, s.count(), "nothing written into the directory");
                }
            }
            for (int i = 0; i < chain.size(); i++) {
                if (imagesBefore.get(i) != null) {
                    assertEquals(imagesBefore.get(i), Sha256.of(chain.get(i)), "image " + i + " modified");
                }
            }
        } finally {
            if (device != null) {
                device.close();
            }
        }
    }

    /** Sets reserved bit 1 in entry 0 of the first L2 table: only a full walk of the tables finds it. */
    private static void setReservedBitInFirstL2Entry(Path img) throws IOException {
        try (ImagePoker p = ImagePoker.open(img)) {
            p.setL2Entry(0, 0, p.l2Entry(0, 0) | 2L);
        }
    }
}
