/**
 * OADP kubevirt-datamover backups: the backup location's layout and metadata, the checks that turn
 * a backup into a plan for every disk of a VM, and the restore of that plan.
 */
package io.qcow2j.oadp;
