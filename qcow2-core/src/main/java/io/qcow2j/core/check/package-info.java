/**
 * Owns the consistency check of one image file, the equivalent of {@code qemu-img check}:
 * {@link io.qcow2j.core.check.ImageChecker} rebuilds every cluster's reference count from the
 * metadata and compares it with the stored refcounts, reporting a
 * {@link io.qcow2j.core.check.CheckResult} of {@link io.qcow2j.core.check.CheckProblem}s with
 * {@code qemu-img check}'s counters and exit codes. Those three types are API; the rest of the
 * package is internal.
 */
package io.qcow2j.core.check;
