/**
 * The restore API: open and validate a {@link io.qcow2j.restore.Chain}, restore it with
 * {@link io.qcow2j.restore.Restore} under {@link io.qcow2j.restore.RestoreOptions}, and the
 * exceptions that say whether the target was touched.
 */
package io.qcow2j.restore;
