package io.qcow2j.gcs;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.remote.ObjectContainer;
import java.io.IOException;
import java.util.List;

/** One bucket of a store, as the store-neutral {@link ObjectContainer}: {@link GcsStore#bucket}. */
final class GcsBucket implements ObjectContainer {
    private final GcsStore store;
    private final String bucket;

    GcsBucket(GcsStore store, String bucket) {
        new GcsLocation(bucket, "x"); // checks the bucket name now, not at the first request
        this.store = store;
        this.bucket = bucket;
    }

    @Override
    public String scheme() {
        return "gs";
    }

    @Override
    public String name() {
        return bucket;
    }

    @Override
    public ByteSource open(String object) throws IOException {
        return store.open(new GcsLocation(bucket, object));
    }

    @Override
    public long size(String object) throws IOException {
        return store.metadata(new GcsLocation(bucket, object)).size();
    }

    /** No such object: absent. No such bucket: nothing in it can be told, so that is the error. */
    @Override
    public boolean isAbsent(IOException e) {
        return e instanceof GcsStoreException.NotFound n && !n.bucketMissing();
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return store.list(new GcsLocation(bucket, prefix));
    }

    @Override
    public String toString() {
        return "gs://" + bucket;
    }
}
