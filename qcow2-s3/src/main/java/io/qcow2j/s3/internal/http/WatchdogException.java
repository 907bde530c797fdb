package io.qcow2j.s3.internal.http;

import java.io.IOException;

/** An exchange the {@link Watchdog} ended: past its deadline, or no byte for the idle timeout. */
public final class WatchdogException extends IOException {
    /** The message of an exchange ended at its deadline; otherwise it says how long it was idle. */
    public static final String DEADLINE = "deadline";
    private static final long serialVersionUID = 1L;

    WatchdogException(String why, Throwable cause) {
        super(why, cause);
    }
}
