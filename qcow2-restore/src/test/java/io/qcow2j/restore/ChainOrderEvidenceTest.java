package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.FileByteSource;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.core.testing.Sha256;
import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Order evidence through the API: images built as overlays ({@code qemu-img create -b parent})
 * store their parent's file name, so a chain given out of order, or missing a link, is refused
 * before writing, naming the image, the stored name and the files involved. libvirt-style chains
 * (every incremental naming the live disk, no file here) are taken as given.
 */
@RequiresQemu
class ChainOrderEvidenceTest {
    private static final long M = 1 << 20;
    private static final String LIVE_DISK = "/var/run/kubevirt-private/vmi-disks/rootdisk/disk.img";

    @TempDir
    static Path dir;
    private static Path full;
    private static Path inc1;
    private static Path inc2;

    @BeforeAll
    static void chain() throws IOException {
        full = dir.resolve("full.qcow2");
        QemuImg.create(full, 8 * M, "");
        QemuIo.on(full).write(0, 4 * M, 0x11).run();
        inc1 = overlay("inc1.qcow2", "full.qcow2");
        QemuIo.on(inc1).write(M, M, 0x22).writeZero(3 * M, 512 * 1024).run();
        inc2 = overlay("inc2.qcow2", "inc1.qcow2");
        QemuIo.on(inc2).write(512 * 1024, M, 0x33).run();
    }

    /** {@code qemu-img create -b parent -F qcow2}: the name is stored as given, relative to the overlay. */
    private static Path overlay(String name, String parent) throws IOException {
        Path img = dir.resolve(name);
        Qemu.run("qemu-img", "create", "-q", "-f", "qcow2", "-b", parent, "-F", "qcow2", img.toString());
        return img;
    }

    private static InvalidChainException refused(Path... images) {
        Path target = dir.resolve("refused.raw");
        InvalidChainException e = assertThrows(InvalidChainException.class,
                () -> Restore.run(List.of(images), target, RestoreOptions.defaults()));
        assertFalse(Files.exists(target), "refused before writing");
        return e;
    }

    @Test
    void theRightOrderRestoresAsQemuReadsTheChain() throws IOException {
        Path target = dir.resolve("right.raw");
        Restore.run(List.of(full, inc1, inc2), target, RestoreOptions.defaults());
        Path oracle = dir.resolve("right-qemu.raw");
        Qemu.run("qemu-img", "convert", "-q", "-O", "raw", inc2.toString(), oracle.toString()); // follows the names
        assertEquals(Sha256.of(oracle), Sha256.of(target));
    }

    @Test
    void swappedIncrementalsAreRefusedNamingBothFilesAndTheStoredName() {
        InvalidChainException e = refused(full, inc2, inc1);
        assertEquals(inc2.toString(), e.resource());
        String m = e.getMessage();
        assertTrue(m.contains("'inc1.qcow2'") && m.contains(inc1 + " (position 3)")
                && m.contains("not its predecessor " + full), m);
    }

    @Test
    void aMissingLinkIsRefusedWhenItsFileLiesBesideTheImage() {
        InvalidChainException e = refused(full, inc2);
        assertEquals(inc2.toString(), e.resource());
        String m = e.getMessage();
        assertTrue(m.contains("'inc1.qcow2'") && m.contains(inc1.toString()) && m.contains(full.toString()), m);
    }

    @Test
    void byteSourcesAreCheckedAlike() throws IOException {
        List<ByteSource> sources = new ArrayList<>();
        for (Path p : List.of(full, inc2, inc1)) {
            sources.add(FileByteSource.open(p));
        }
        InvalidChainException e = assertThrows(InvalidChainException.class,
                () -> Chain.of(sources, OpenOptions.defaults()).close());
        assertEquals(inc2.toString(), e.resource());
    }

    @Test
    void aPartialChainMustStillBeInOrder() throws IOException {
        ChainOptions partial = ChainOptions.defaults().withAllowBackingBase(true);
        InvalidChainException e = assertThrows(InvalidChainException.class,
                () -> Chain.open(List.of(inc2, inc1), partial).close());
        assertEquals(inc2.toString(), e.resource());
        assertTrue(e.getMessage().contains("comes after it"), e.getMessage());
        Chain.open(List.of(inc1, inc2), partial).close();
    }

    @Test
    void libvirtStyleChainsAreTakenAsGiven() throws IOException {
        Path lv = Files.createDirectories(dir.resolve("libvirt"));
        List<Path> copies = new ArrayList<>();
        for (Path p : List.of(full, inc1, inc2)) {
            Path c = Files.copy(p, lv.resolve(p.getFileName()));
            if (p != full) {
                Qemu.run("qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "raw", "-b", LIVE_DISK, c.toString());
            }
            copies.add(c);
        }
        Path target = dir.resolve("libvirt.raw");
        Restore.run(copies, target, RestoreOptions.defaults());
        Path oracle = dir.resolve("libvirt-qemu.raw");
        Qemu.run("qemu-img", "convert", "-q", "-O", "raw", inc2.toString(), oracle.toString());
        assertEquals(Sha256.of(oracle), Sha256.of(target), "the same data, whatever the stored names");
        // no evidence either way: the caller's order stands
        Chain.open(List.of(copies.get(0), copies.get(2), copies.get(1)), OpenOptions.defaults()).close();
        Chain.open(List.of(copies.get(0), copies.get(2)), OpenOptions.defaults()).close();
    }

    /** The committed chain, its incrementals given the names qemu-img create -b would store. */
    @Test
    void theTestdataChainWithStoredNamesRestoresInOrderAndIsRefusedOutOfOrder() throws IOException {
        Path td = Files.createDirectories(dir.resolve("testdata"));
        List<Path> chain = new ArrayList<>();
        String parent = null;
        for (Path p : TestData.chain()) {
            Path c = Files.copy(p, td.resolve(p.getFileName()));
            if (parent != null) {
                Qemu.run("qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "qcow2", "-b", parent, c.toString());
            }
            parent = c.getFileName().toString();
            chain.add(c);
        }
        Path target = dir.resolve("testdata.raw");
        Restore.run(chain, target, RestoreOptions.defaults());
        assertEquals(TestData.chainSha256(), Sha256.of(target));
        InvalidChainException e = refused(chain.get(0), chain.get(2), chain.get(1));
        assertEquals(chain.get(2).toString(), e.resource());
    }
}
