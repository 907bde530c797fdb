/**
 * Internal, not API: the streaming restore of a validated chain into a sink — block planning,
 * block assembly and writing, background flushes, failure collection, the buffer pool and
 * progress delivery.
 */
package io.qcow2j.restore.internal.pipeline;
