package io.qcow2j.restore.internal.pipeline;

import io.qcow2j.restore.compose.ComposedExtent;
import java.util.List;

/**
 * A piece of the disk one worker assembles and writes at once: at most {@link BlockPlanner#BLOCK}
 * bytes at a fixed guest offset, holding some data.
 *
 * @param start    first guest byte
 * @param length   guest bytes
 * @param segments the composed extents covering [start, start + length), in order, cut to it
 */
record Block(long start, int length, List<ComposedExtent> segments) {
}
