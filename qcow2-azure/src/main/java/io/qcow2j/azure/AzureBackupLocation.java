package io.qcow2j.azure;

import io.qcow2j.core.ByteSource;
import io.qcow2j.oadp.ObjectStoreBackupLocation;
import java.io.IOException;
import java.util.Objects;

/**
 * A backup location in a blob container (the BSL's bucket), keys joined to the prefix as the
 * controller joins them. A missing blob reads as absent; a missing container, refused credentials
 * or a network failure are {@link BlobStoreException}s naming {@code az://container/blob}. Does not
 * own the store: close that when done.
 */
public final class AzureBackupLocation extends ObjectStoreBackupLocation {
    private final BlobStore store;

    /**
     * @param prefix the location's prefix, in full; empty or null for the container's top
     * @throws IllegalArgumentException when the container name is empty or holds a {@code /}
     */
    public AzureBackupLocation(BlobStore store, String container, String prefix) {
        super("az", container, prefix);
        this.store = Objects.requireNonNull(store, "store");
        new BlobLocation(container, "x"); // checks the container name now, not at the first request
    }

    /** The blob of {@code key}. */
    public BlobLocation location(String key) {
        return new BlobLocation(bucket(), objectName(key));
    }

    @Override
    protected ByteSource openObject(String name) throws IOException {
        return store.open(new BlobLocation(bucket(), name));
    }

    @Override
    protected long sizeOf(String name) throws IOException {
        return store.properties(new BlobLocation(bucket(), name)).size();
    }

    /** No such blob: absent. No such container: nothing in it can be told, so that is the error. */
    @Override
    protected boolean isAbsent(IOException e) {
        return e instanceof BlobStoreException.NotFound n && !n.containerMissing();
    }
}
