package io.qcow2j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;

/**
 * The {@code --progress=json} event stream on stderr, one JSON object per line: one {@code start}
 * once the work is planned, {@code progress} while it runs, and exactly one final {@code done} or
 * {@code error} (docs/cli-contract.md). When progress is not JSON, events are not printed.
 */
final class Events {
    private final PrintWriter err;
    private final boolean json;
    private final long start = System.nanoTime();
    private boolean finished;

    Events(PrintWriter err, boolean json) {
        this.err = err;
        this.json = json;
    }

    /** Whether events are printed. */
    boolean json() {
        return json;
    }

    /** A new event object of {@code type}. */
    ObjectNode event(String type) {
        ObjectNode n = Json.object();
        n.put("event", type);
        return n;
    }

    /** Prints {@code event}, adding the seconds since the command started. */
    synchronized void emit(ObjectNode event) {
        if (!json || finished) {
            return;
        }
        event.put("seconds", Math.round((System.nanoTime() - start) / 1e6) / 1e3);
        err.println(Json.line(event));
        err.flush();
        String type = event.get("event").asText();
        if (type.equals("done") || type.equals("error")) {
            finished = true;
        }
    }

    /** The final {@code error} event, unless a final event was printed already. */
    void error(ErrorReport r) {
        ObjectNode n = event("error");
        r.fill(n);
        n.put("exit", r.exit());
        emit(n);
    }
}
