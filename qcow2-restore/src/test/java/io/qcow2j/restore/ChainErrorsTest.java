package io.qcow2j.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.FileByteSource;
import io.qcow2j.core.OpenOptions;
import io.qcow2j.core.testing.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * An {@link Error} raised while a chain opens (an OutOfMemoryError above all) comes out as itself,
 * not wrapped in an IOException: callers report an I/O error as the target being incomplete and an
 * OutOfMemoryError as what it is. Every image that did open is closed.
 */
class ChainErrorsTest {
    @Test
    void anOutOfMemoryErrorWhileOpeningIsRethrownAsItIs() throws IOException {
        AtomicBoolean goodClosed = new AtomicBoolean();
        ByteSource good = new Delegate(FileByteSource.open(TestData.image("v3-c4096")), false, goodClosed);
        ByteSource failing = new Delegate(FileByteSource.open(TestData.image("v3-c512")), true, new AtomicBoolean());
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class,
                () -> Chain.of(List.of(good, failing), OpenOptions.defaults()));
        assertEquals("simulated", e.getMessage());
        assertTrue(goodClosed.get(), "the image that opened is closed again");
    }

    /** A source that throws an OutOfMemoryError on its first read past the header, when asked to. */
    private static final class Delegate implements ByteSource {
        private final ByteSource inner;
        private final boolean fail;
        private final AtomicBoolean closed;

        Delegate(ByteSource inner, boolean fail, AtomicBoolean closed) {
            this.inner = inner;
            this.fail = fail;
            this.closed = closed;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public long size() throws IOException {
            return inner.size();
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            if (fail && position > 0) {
                throw new OutOfMemoryError("simulated");
            }
            return inner.read(dst, position);
        }

        @Override
        public void close() throws IOException {
            closed.set(true);
            inner.close();
        }
    }
}
