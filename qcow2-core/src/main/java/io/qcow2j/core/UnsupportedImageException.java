package io.qcow2j.core;

/**
 * The image is valid qcow2 but uses a feature qcow2j refuses to read: encryption, an external data
 * file, or an incompatible feature bit it does not know. Like every {@link InvalidImageException},
 * it is found at open, before any guest data is produced.
 */
public class UnsupportedImageException extends InvalidImageException {
    private static final long serialVersionUID = 1L;

    /**
     * @param resource  the file or object the image is read from
     * @param structure the on-disk structure that names the feature ({@code "header"})
     * @param offset    byte offset of the field that names it
     * @param reason    which feature, and why it is refused
     */
    public UnsupportedImageException(String resource, String structure, long offset, String reason) {
        super(resource, structure, offset, reason);
    }
}
