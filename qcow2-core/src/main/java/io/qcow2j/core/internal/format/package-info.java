/**
 * Owns the qcow2 on-disk format: every field offset, mask and limit ({@link
 * io.qcow2j.core.internal.format.Layout}), header parsing and validation ({@link
 * io.qcow2j.core.internal.format.HeaderParser}), L2 entry decoding ({@link io.qcow2j.core.internal.format.L2Entry}),
 * and the cluster mapping ({@link io.qcow2j.core.internal.format.ClusterMap}: refcount and L1 tables read at
 * open, L2 tables read, validated and cached on demand, guest ranges walked into extents).
 *
 * <p>Internal, not API: laid out like qemu's qcow2 driver ({@code qcow2.h} for the layout,
 * {@code qcow2.c} for the header, {@code qcow2-cluster.c} for the mapping, {@code qcow2-cache.c}
 * for the cache). It depends on the API package only for its value types, exceptions and
 * {@code ByteSource}, never on {@code Qcow2Image} or {@code ExtentReader}.
 */
package io.qcow2j.core.internal.format;
