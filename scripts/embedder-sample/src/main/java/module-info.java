/** An application that restores qcow2 chains with qcow2j, as a named module. */
module io.qcow2j.sample {
    requires io.qcow2j.core;
    requires io.qcow2j.restore;
    requires io.qcow2j.s3;
}
