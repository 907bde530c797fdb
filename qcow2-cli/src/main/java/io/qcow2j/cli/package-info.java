/**
 * The {@code qcow2-restore} command line: argument parsing and printing (text, JSON) over the
 * restore library; every action is a library call a datamover could make.
 */
package io.qcow2j.cli;
