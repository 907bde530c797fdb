/**
 * The composition rule: a chain of images, oldest first, turned into the extents of the restored
 * disk window by window. The merging of neighbours and the windows are internal.
 */
package io.qcow2j.restore.compose;
