package io.qcow2j.s3.internal.http;

import java.io.IOException;

/** An exchange the {@link Watchdog} ended: past its deadline, or no byte for the idle timeout. */
public final class WatchdogException extends IOException {
    private static final long serialVersionUID = 1L;

    WatchdogException(String why, Throwable cause) {
        super(why, cause);
    }
}
