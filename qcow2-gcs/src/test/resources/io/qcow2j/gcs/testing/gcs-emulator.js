'use strict';
// Runs the Cloud Storage emulator of firebase-tools (its GCS JSON API: metadata, media reads with
// Range, uploads) on a loopback port, without the Storage Rules runtime. `firebase emulators:start`
// first downloads that runtime, a Java 21 jar from Google's servers, which the GCS JSON API never
// consults: its routes use the admin storage layer, which allows every request.
//
// usage: node gcs-emulator.js FIREBASE_TOOLS_DIR
// Prints "listening on http://127.0.0.1:PORT" once it serves; exits when stdin closes (so it
// does not outlive the test JVM). Objects go to $TMPDIR/firebase/storage/blobs.
const path = require('path');

const tools = process.argv[2];
if (!tools) {
    console.error('usage: node gcs-emulator.js FIREBASE_TOOLS_DIR');
    process.exit(2);
}
const storage = path.join(tools, 'lib', 'emulator', 'storage');
const { StorageEmulator } = require(path.join(storage, 'index.js'));
const { createApp } = require(path.join(storage, 'server.js'));
const { EmulatorRegistry } = require(path.join(tools, 'lib', 'emulator', 'registry.js'));
const { Emulators } = require(path.join(tools, 'lib', 'emulator', 'types.js'));

const emulator = new StorageEmulator({ projectId: 'qcow2j-test', host: '127.0.0.1', port: 0 });
createApp('qcow2j-test', emulator).then((app) => {
    const server = app.listen(0, '127.0.0.1', () => {
        // objects' metadata (selfLink, mediaLink) is built from the registered emulator's address
        emulator.args.port = server.address().port;
        EmulatorRegistry.set(Emulators.STORAGE, emulator);
        console.log('listening on http://127.0.0.1:' + server.address().port);
    });
}).catch((e) => {
    console.error('the storage emulator did not start: ' + e);
    process.exit(1);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
