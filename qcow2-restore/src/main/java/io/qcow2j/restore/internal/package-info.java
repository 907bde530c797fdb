/**
 * Internal to qcow2j (not exported): helpers the library's packages share, with no API promise.
 */
package io.qcow2j.restore.internal;
