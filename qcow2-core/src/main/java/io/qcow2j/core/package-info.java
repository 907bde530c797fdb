/**
 * Reads one qcow2 image: the public API of qcow2j's core.
 *
 * <p>{@link io.qcow2j.core.Qcow2Image} opens and validates an image from a
 * {@link io.qcow2j.core.ByteSource} and describes any guest range as {@link io.qcow2j.core.Extent}s
 * (data, compressed, zero, unallocated); {@link io.qcow2j.core.ExtentReader} turns extents into
 * bytes. {@link io.qcow2j.core.ImageOpening} opens in two steps, header first, for a caller that
 * must know the heap an image's metadata will take before any table is loaded (a chain). Callers
 * never see L1 or L2 tables. Every problem with an image is a
 * {@link io.qcow2j.core.Qcow2Exception} naming the file, the structure and the offset:
 * {@link io.qcow2j.core.InvalidImageException} (and {@link io.qcow2j.core.UnsupportedImageException})
 * at open, {@link io.qcow2j.core.CorruptDataException} while producing data.
 *
 * <p>The packages {@code io.qcow2j.core.internal.format} and {@code io.qcow2j.core.internal.compress} are internal,
 * not API; {@code io.qcow2j.core.check} is the {@code qemu-img check} equivalent.
 */
package io.qcow2j.core;
