package io.qcow2j.core.corpus;

import io.qcow2j.core.CorruptDataException;
import io.qcow2j.core.InvalidImageException;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.Qcow2Exception;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * One named malformation: a valid base image, a byte-level mutation of it, the options it is
 * opened with, and what the reader must do with the result.
 *
 * @param name     unique, path-like ({@code "header/version-4"}); safe as a file name once '/' is replaced
 * @param base     the valid image the mutation starts from
 * @param mutation the edit
 * @param options  how the mutated image is opened
 * @param expected rejected (with which error) or accepted (reads exactly like the base)
 */
public record MalformedCase(String name, Base base, Mutation mutation, OpenOptions options, Expected expected) {

    public MalformedCase {
        Objects.requireNonNull(name);
        Objects.requireNonNull(base);
        Objects.requireNonNull(mutation);
        Objects.requireNonNull(options);
        Objects.requireNonNull(expected);
    }

    /** An edit of the (copied) base image. */
    @FunctionalInterface
    public interface Mutation {
        void apply(ImagePoker image) throws IOException;

        /** Applies the edit; returns the guest offset the expected data error must name, if it says one. */
        default OptionalLong applyAndLocate(ImagePoker image) throws IOException {
            apply(image);
            return OptionalLong.empty();
        }

        /**
         * An edit that breaks the data of one guest cluster (a compressed cluster that does not
         * inflate) and returns its guest offset; see {@link Prepared#guestOffset()}.
         */
        static Mutation breakingData(DataEdit edit) {
            return new Mutation() {
                @Override
                public void apply(ImagePoker image) throws IOException {
                    edit.apply(image);
                }

                @Override
                public OptionalLong applyAndLocate(ImagePoker image) throws IOException {
                    return OptionalLong.of(edit.apply(image));
                }
            };
        }
    }

    /** The edit of a {@link Mutation#breakingData} mutation: returns the guest offset it breaks. */
    @FunctionalInterface
    public interface DataEdit {
        long apply(ImagePoker image) throws IOException;
    }

    /** Where the valid image comes from. */
    public sealed interface Base {
        /** Whether building it needs qemu-img / qemu-io on PATH. */
        boolean needsQemu();

        /** Writes a fresh copy of the base image to {@code target}. */
        void build(Path target) throws IOException;

        /** A committed {@code testdata/NAME.qcow2} (runs without qemu). */
        record Committed(String image) implements Base {
            @Override
            public boolean needsQemu() {
                return false;
            }

            @Override
            public void build(Path target) throws IOException {
                Files.copy(TestData.image(image), target, StandardCopyOption.REPLACE_EXISTING);
            }

            @Override
            public String toString() {
                return "testdata/" + image + ".qcow2";
            }
        }

        /** An image qemu makes at test time ({@code QemuImg}, {@code QemuIo}). */
        record Built(String label, Recipe recipe) implements Base {
            @Override
            public boolean needsQemu() {
                return true;
            }

            @Override
            public void build(Path target) throws IOException {
                Files.deleteIfExists(target);
                recipe.build(target);
            }

            @Override
            public String toString() {
                return "qemu-built " + label;
            }
        }

        /** How qemu makes a {@link Built} image at a given path. */
        @FunctionalInterface
        interface Recipe {
            void build(Path image) throws IOException;
        }
    }

    /** The latest point by which the reader must have refused the image. */
    public enum Stage {
        /** {@code Qcow2Image.open}: header, refcount table and L1 table. */
        OPEN,
        /** {@code validateAllTables()}: every L2 table, before a restore writes anything. */
        VALIDATE,
        /** While producing guest data (a restore would have started writing). */
        READ
    }

    /** What the reader must do with the mutated image. */
    public sealed interface Expected {
        /**
         * Refused with {@code type} (exactly that class or a subclass) by {@code stage}.
         *
         * @param structure the exception's {@code structure()}, exactly
         * @param reason    a substring of the exception's {@code reason()} (case-sensitive)
         */
        record Rejected(Class<? extends Qcow2Exception> type, Stage stage, String structure, String reason)
                implements Expected {
        }

        /** Opens, validates and reads exactly the base image's guest content. */
        record Accepted() implements Expected {
        }

        static Rejected atOpen(String structure, String reason) {
            return new Rejected(InvalidImageException.class, Stage.OPEN, structure, reason);
        }

        static Rejected byValidation(String structure, String reason) {
            return new Rejected(InvalidImageException.class, Stage.VALIDATE, structure, reason);
        }

        static Rejected whenRead(String structure, String reason) {
            return new Rejected(CorruptDataException.class, Stage.READ, structure, reason);
        }
    }

    /** True when the reader must refuse the image. */
    public boolean rejected() {
        return expected instanceof Expected.Rejected;
    }

    /** Whether this case can run here (qemu-built bases need qemu). */
    public boolean runnable() {
        return !base.needsQemu() || Qemu.available();
    }

    /** File-name form of {@link #name()}. */
    public String fileStem() {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /**
     * The files of a prepared case.
     *
     * @param base        the unmutated base image
     * @param image       the mutated image
     * @param guestOffset for a data error: the guest offset it must name
     */
    public record Prepared(Path base, Path image, OptionalLong guestOffset) {
    }

    /**
     * Builds the base image into {@code dir} and a mutated copy next to it.
     *
     * @throws IllegalStateException when the base lacks what the mutation needs (the corpus is out
     *                               of date with testdata/)
     */
    public Prepared prepare(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path basePath = dir.resolve(fileStem() + ".base.qcow2");
        Path imagePath = dir.resolve(fileStem() + ".qcow2");
        base.build(basePath);
        Files.copy(basePath, imagePath, StandardCopyOption.REPLACE_EXISTING);
        OptionalLong guest;
        try (ImagePoker p = ImagePoker.open(imagePath)) {
            guest = mutation.applyAndLocate(p);
        }
        return new Prepared(basePath, imagePath, guest);
    }

    @Override
    public String toString() {
        return name + " (" + base + ")";
    }
}
