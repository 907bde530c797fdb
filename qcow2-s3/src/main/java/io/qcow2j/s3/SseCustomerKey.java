package io.qcow2j.s3;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * An SSE-C key as the requests send it: the key and its MD5, both in Base64.
 *
 * @param key    {@code x-amz-server-side-encryption-customer-key}
 * @param keyMd5 {@code x-amz-server-side-encryption-customer-key-MD5}
 */
record SseCustomerKey(String key, String keyMd5) {
    /** The settings' key, or null when they have none. */
    static SseCustomerKey of(S3Settings settings) {
        byte[] key = settings.sseCustomerKey();
        if (key == null) {
            return null;
        }
        try {
            return new SseCustomerKey(Base64.getEncoder().encodeToString(key),
                    Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(key)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is a required JDK algorithm", e);
        }
    }
}
