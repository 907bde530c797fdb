/**
 * OADP kubevirt-datamover backups for qcow2j: the backup location's layouts and metadata, VM
 * restore plans, the restore of a plan and the verification of backups, from a directory or from
 * an object store. The only qcow2j library
 * module that depends on Jackson.
 */
module io.qcow2j.oadp {
    requires transitive io.qcow2j.core;
    requires transitive io.qcow2j.restore;
    requires com.fasterxml.jackson.databind;

    exports io.qcow2j.oadp;
}
