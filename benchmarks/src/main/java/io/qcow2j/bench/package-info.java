/**
 * JMH benchmarks of the hot paths (L2 decoding, composition, inflation, a whole restore) on chains
 * built with qemu-img; benchmarks/README.md says how to run them. Not deployed.
 */
package io.qcow2j.bench;
