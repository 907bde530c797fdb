/**
 * The composition rule: a chain of images, oldest first, turned into the extents of the restored
 * disk window by window, and the one place neighbouring extents are merged.
 */
package io.qcow2j.restore.compose;
