package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.qcow2j.core.testing.QemuImg;
import io.qcow2j.core.testing.RequiresQemu;
import io.qcow2j.restore.ComposerModelPropertyTest.ImageSpec;
import io.qcow2j.restore.model.ChainModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The model tests are only as good as the model and the writer: qemu must accept every image the
 * writer makes ({@code qemu-img check}) and its chained oracle must give the model's disk.
 */
@RequiresQemu
class ModelAgreesWithQemuTest {

    @Provide
    Arbitrary<List<ImageSpec>> chains() {
        return ComposerModelPropertyTest.chains();
    }

    @Property(tries = 8)
    void qemuReadsTheWrittenChainAsTheModelSays(@ForAll("chains") List<ImageSpec> specs) throws IOException {
        ChainModel model = ComposerModelPropertyTest.model(specs);
        Path dir = Files.createTempDirectory("qcow2j-model-qemu");
        try {
            List<Path> files = model.write(dir);
            for (Path f : files) {
                QemuImg.check(f);
            }
            Path raw = dir.resolve("oracle.raw");
            QemuImg.oracleChained(raw, files, dir);
            assertArrayEquals(model.expectedDisk(), Files.readAllBytes(raw), model::toString);
        } finally {
            ModelChecks.deleteTree(dir);
        }
    }
}
