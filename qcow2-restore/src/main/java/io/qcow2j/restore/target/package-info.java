/**
 * Where a restore writes: the {@link io.qcow2j.restore.target.Sink} interface, the regular-file and
 * block-device target with its inspection, and the target's own exception.
 */
package io.qcow2j.restore.target;
