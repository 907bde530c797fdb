package io.qcow2j.core.internal;

import java.nio.ByteBuffer;

/**
 * Where a response body's bytes go as they arrive: a buffer ({@link #into}), or a
 * {@link PartsCursor}. Bodies come as arrays (an {@code InputStream}'s reads) or as the HTTP
 * client's own buffers, which are taken as they are: no copy into an array first.
 */
public interface BodySink {
    void put(byte[] b, int off, int len);

    /** Takes {@code src}'s remaining bytes, advancing its position. */
    void put(ByteBuffer src);

    /** A sink that fills {@code dst} from its position. */
    static BodySink into(ByteBuffer dst) {
        return new BodySink() {
            @Override
            public void put(byte[] b, int off, int len) {
                dst.put(b, off, len);
            }

            @Override
            public void put(ByteBuffer src) {
                dst.put(src);
            }
        };
    }
}
