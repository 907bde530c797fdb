package io.qcow2j.cli.hardening;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.qcow2j.cli.CliRun;
import io.qcow2j.core.MapJson;
import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A header size that is not a multiple of 512: qemu counts whole sectors ({@code size / 512},
 * rounded down) for everything, so the disk of a 1000-byte image is 512 bytes, and in a chain the
 * bytes past those 512 read as zeros from that image, hiding the older ones.
 */
@RequiresQemu
class OddVirtualSizeQemuTest {
    private static final int MIB = 1 << 20;
    private static final long ODD = 1000;

    @TempDir
    Path dir;

    @Test
    void aLoneImageIsItsWholeSectorsInInfoMapAndRestore() throws IOException {
        Path img = dir.resolve("odd.qcow2");
        QemuImg.create(img, MIB, null);
        QemuIo.on(img).write(0, 65536, 0x41).run();
        setSize(img, ODD);

        ObjectMapper json = new ObjectMapper();
        long qemuSize = json.readTree(QemuImg.infoJson(img)).get("virtual-size").asLong();
        assertEquals(512, qemuSize);
        CliRun info = CliRun.cli("info", "--json", img.toString());
        assertEquals(0, info.exit(), info.err());
        assertEquals(qemuSize, json.readTree(info.out()).get("virtual-size").asLong(), info.out());

        CliRun map = CliRun.cli("map", "--json", img.toString());
        assertEquals(0, map.exit(), map.err());
        assertEquals(MapJson.render(MapJson.normalise(MapJson.parse(QemuImg.mapJson(img)))),
                MapJson.render(MapJson.normalise(MapJson.parse(map.out()))));

        Path qemuRaw = dir.resolve("qemu.raw");
        QemuImg.convertToRaw(img, qemuRaw);
        Path ours = dir.resolve("ours.raw");
        CliRun restore = CliRun.cli("restore", "--output", ours.toString(), "--progress=none", img.toString());
        assertEquals(0, restore.exit(), restore.err());
        assertEquals(512, Files.size(qemuRaw));
        assertArrayEquals(Files.readAllBytes(qemuRaw), Files.readAllBytes(ours));
    }

    @Test
    void inAChainTheBytesPastTheWholeSectorsReadAsZeros() throws IOException {
        Path a = dir.resolve("a.qcow2");
        Path m1 = dir.resolve("m1.qcow2");
        Path m2 = dir.resolve("m2.qcow2");
        QemuImg.create(a, MIB, null);
        QemuIo.on(a).write(0, MIB, 0x41).run();
        QemuImg.create(m1, MIB, null);
        setSize(m1, ODD);
        QemuImg.create(m2, MIB, null);
        List<Path> chain = List.of(a, m1, m2);

        Path qemuRaw = dir.resolve("qemu.raw");
        QemuImg.oracleChained(qemuRaw, chain, dir.resolve("oracle"));
        byte[] expected = Files.readAllBytes(qemuRaw);
        byte[] zeros = new byte[(int) (MIB - 512)];
        assertArrayEquals(zeros, Arrays.copyOfRange(expected, 512, MIB), "qemu: zeros from m1's end on");

        Path ours = dir.resolve("ours.raw");
        CliRun restore = CliRun.cli("restore", "--output", ours.toString(), "--progress=none", a.toString(),
                m1.toString(), m2.toString());
        assertEquals(0, restore.exit(), restore.err());
        assertArrayEquals(expected, Files.readAllBytes(ours));
    }

    private static void setSize(Path img, long size) throws IOException {
        try (ImagePoker p = ImagePoker.open(img)) {
            p.putLong(Layout.HDR_SIZE, size);
        }
    }
}
