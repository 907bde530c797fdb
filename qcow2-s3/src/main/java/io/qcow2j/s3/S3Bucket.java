package io.qcow2j.s3;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.remote.ObjectContainer;
import java.io.IOException;
import java.util.List;

/** One bucket of a store, as the store-neutral {@link ObjectContainer}: {@link ObjectStore#bucket}. */
final class S3Bucket implements ObjectContainer {
    private final ObjectStore store;
    private final String bucket;

    S3Bucket(ObjectStore store, String bucket) {
        new S3Location(bucket, "x"); // checks the bucket name now, not at the first request
        this.store = store;
        this.bucket = bucket;
    }

    @Override
    public String scheme() {
        return "s3";
    }

    @Override
    public String name() {
        return bucket;
    }

    @Override
    public ByteSource open(String object) throws IOException {
        return store.open(new S3Location(bucket, object));
    }

    @Override
    public long size(String object) throws IOException {
        return store.head(new S3Location(bucket, object)).size();
    }

    /** No such key: absent. No such bucket: nothing in it can be told, so that is the error. */
    @Override
    public boolean isAbsent(IOException e) {
        return e instanceof ObjectNotFoundException n && !"NoSuchBucket".equals(n.errorCode());
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return store.list(new S3Location(bucket, prefix));
    }

    @Override
    public String toString() {
        return "s3://" + bucket;
    }
}
