package io.qcow2j.gcs;

/**
 * What an object's metadata request says about it.
 *
 * @param location   the object
 * @param size       its length in bytes
 * @param generation its generation; every read sends it as {@code ifGenerationMatch} and checks the
 *                   response's {@code x-goog-generation}, so a replaced object fails instead of
 *                   mixing two versions
 */
public record GcsObjectInfo(GcsLocation location, long size, long generation) {
}
