/**
 * Where a restore writes: the {@link io.qcow2j.restore.target.Sink} interface an embedder may
 * implement, the kinds of target and the target's exceptions. The regular-file and block-device
 * target itself is internal.
 */
package io.qcow2j.restore.target;
