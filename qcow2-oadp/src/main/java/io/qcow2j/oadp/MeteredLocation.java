package io.qcow2j.oadp;

import io.qcow2j.core.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link BackupLocation} that counts what is asked of it (metadata reads, opens, size and list
 * calls, reads of images and their bytes), so {@link BackupVerifier} can say what its proof cost
 * whatever the kind of location, and that keeps the last few small objects it read: every backup of
 * a VM reads the same checkpoint index, and a listed manifest is read again to load it.
 */
final class MeteredLocation implements BackupLocation {
    /** Small objects kept: a VM's index and a backup's manifests are re-read while that VM is checked. */
    private static final int KEPT = 64;

    private final BackupLocation location;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final Map<String, Optional<byte[]>> kept = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Optional<byte[]>> eldest) {
            return size() > KEPT;
        }
    };

    MeteredLocation(BackupLocation location) {
        this.location = location;
    }

    /** Calls made of the location: metadata reads, opens, sizes, lists and image reads. */
    long requests() {
        return requests.get();
    }

    /** Bytes read: metadata objects and image bytes. */
    long bytesRead() {
        return bytes.get();
    }

    @Override
    public String name() {
        return location.name();
    }

    @Override
    public String nameOf(String key) {
        return location.nameOf(key);
    }

    @Override
    public Optional<byte[]> read(String key, long maxBytes) throws IOException {
        synchronized (kept) {
            Optional<byte[]> k = kept.get(key);
            if (k != null) {
                return k;
            }
        }
        requests.incrementAndGet();
        Optional<byte[]> content = location.read(key, maxBytes);
        content.ifPresent(c -> bytes.addAndGet(c.length));
        synchronized (kept) {
            kept.put(key, content);
        }
        return content;
    }

    @Override
    public Optional<ByteSource> open(String key) throws IOException {
        requests.incrementAndGet();
        return location.open(key).map(Counted::new);
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        requests.incrementAndGet();
        return location.size(key);
    }

    @Override
    public List<String> list(String dirKey) throws IOException {
        requests.incrementAndGet();
        return location.list(dirKey);
    }

    @Override
    public Optional<Path> directory() {
        return location.directory();
    }

    /** An image whose reads are counted. */
    private final class Counted implements ByteSource {
        private final ByteSource source;

        Counted(ByteSource source) {
            this.source = source;
        }

        @Override
        public String name() {
            return source.name();
        }

        @Override
        public long size() throws IOException {
            return source.size();
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            requests.incrementAndGet();
            int n = source.read(dst, position);
            bytes.addAndGet(Math.max(n, 0));
            return n;
        }

        @Override
        public void readFully(ByteBuffer dst, long position, String structure) throws IOException {
            requests.incrementAndGet();
            int before = dst.remaining();
            source.readFully(dst, position, structure); // an object store reads it in one ranged GET
            bytes.addAndGet(before - dst.remaining());
        }

        @Override
        public int preferredConcurrency() {
            return source.preferredConcurrency();
        }

        @Override
        public void close() throws IOException {
            source.close();
        }
    }
}
