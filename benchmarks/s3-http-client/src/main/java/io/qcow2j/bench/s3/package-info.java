/**
 * The measurement behind qcow2-s3's HTTP client: the AWS SDK's clients reading ranged GETs from
 * S3Proxy, one fresh JVM per client and run (docs/s3-http-client.md). Not deployed.
 */
package io.qcow2j.bench.s3;
