package io.qcow2j.core.check;

import io.qcow2j.core.check.CheckProblem.Severity;
import java.util.ArrayList;
import java.util.List;

/** Counts findings like qemu does and keeps the first few for the report. */
final class Findings {
    private final int maxListed;
    private final List<CheckProblem> listed = new ArrayList<>();
    private long omitted;
    long corruptions;
    long leaks;
    long checkErrors;

    Findings(int maxListed) {
        this.maxListed = maxListed;
    }

    void corruption(String structure, long offset, String message) {
        corruptions++;
        add(new CheckProblem(Severity.CORRUPTION, structure, offset, message));
    }

    void leak(String structure, long offset, String message) {
        leaks++;
        add(new CheckProblem(Severity.LEAK, structure, offset, message));
    }

    void checkError(String structure, long offset, String message) {
        checkErrors++;
        add(new CheckProblem(Severity.CHECK_ERROR, structure, offset, message));
    }

    private void add(CheckProblem p) {
        if (listed.size() < maxListed) {
            listed.add(p);
        } else {
            omitted++;
        }
    }

    List<CheckProblem> listed() {
        return listed;
    }

    long omitted() {
        return omitted;
    }
}
