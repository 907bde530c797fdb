/**
 * The restore digest: a hash of the guest byte stream that does not depend on the order workers
 * wrote it in, and that any raw file or device can be checked against.
 */
package io.qcow2j.restore.digest;
