/**
 * Internal, not API: the Linux calls a target needs that Java has no API for (hole punching,
 * zeroing, page-cache advice), through JNA.
 */
package io.qcow2j.restore.internal.linux;
