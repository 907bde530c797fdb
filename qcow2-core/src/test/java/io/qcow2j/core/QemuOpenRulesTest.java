package io.qcow2j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.internal.format.Layout;
import io.qcow2j.core.testing.ImagePoker;
import io.qcow2j.core.testing.Qemu;
import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.QemuIo;
import io.qcow2j.core.testing.RequiresQemu;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Header states qemu refuses when it opens an image for reading: we refuse them too. */
@RequiresQemu
class QemuOpenRulesTest {
    @TempDir
    Path dir;

    @Test
    void rawDataFileBitWithoutADataFileIsRefused() throws IOException {
        Path img = dir.resolve("raw-bit.qcow2");
        QemuImg.create(img, 1 << 20, null);
        QemuIo.on(img).write(0, 65536, 0x41).run();
        try (ImagePoker p = ImagePoker.open(img)) {
            p.orLong(Layout.HDR_AUTOCLEAR_FEATURES, 1L << FeatureBits.AUTOCLEAR_DATA_FILE_RAW);
        }
        Qemu.CommandFailedException qemu = assertThrows(Qemu.CommandFailedException.class,
                () -> QemuImg.convertToRaw(img, dir.resolve("qemu.raw")));
        assertTrue(qemu.getMessage().contains("data-file-raw requires a data file"), qemu.getMessage());

        InvalidImageException e = assertThrows(InvalidImageException.class, () -> Qcow2Image.open(img));
        assertFalse(e instanceof UnsupportedImageException, "an inconsistent header, not a feature we lack");
        assertEquals("header", e.structure());
        assertEquals(Layout.HDR_AUTOCLEAR_FEATURES, e.offset());
        assertTrue(e.getMessage().contains(img.toString()) && e.getMessage().contains("data-file-raw"),
                e.getMessage());
    }
}
