// The package's ready stack program: `provisioning:catalog` (here ./catalog) placed on the
// children in `provisioning:servers`, both from this stack's Pulumi config.
module.exports = require("pulumi-provisioning/stack");
