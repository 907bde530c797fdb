package io.qcow2j.azure;

import io.qcow2j.core.ByteSource;
import io.qcow2j.core.remote.ObjectContainer;
import java.io.IOException;
import java.util.List;

/** One container of a store, as the store-neutral {@link ObjectContainer}: {@link BlobStore#container}. */
final class BlobContainer implements ObjectContainer {
    private final BlobStore store;
    private final String container;

    BlobContainer(BlobStore store, String container) {
        new BlobLocation(container, "x"); // checks the container name now, not at the first request
        this.store = store;
        this.container = container;
    }

    @Override
    public String scheme() {
        return "az";
    }

    @Override
    public String name() {
        return container;
    }

    @Override
    public ByteSource open(String blob) throws IOException {
        return store.open(new BlobLocation(container, blob));
    }

    @Override
    public long size(String blob) throws IOException {
        return store.properties(new BlobLocation(container, blob)).size();
    }

    /** No such blob: absent. No such container: nothing in it can be told, so that is the error. */
    @Override
    public boolean isAbsent(IOException e) {
        return e instanceof BlobStoreException.NotFound n && !n.containerMissing();
    }

    /** One hierarchical listing ({@code delimiter=/}), a request per page, retried as a whole. */
    @Override
    public List<String> list(String prefix) throws IOException {
        return store.list(new BlobLocation(container, prefix));
    }

    @Override
    public String toString() {
        return "az://" + container;
    }
}
