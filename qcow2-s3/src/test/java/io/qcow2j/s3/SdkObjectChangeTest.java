package io.qcow2j.s3;

import java.util.Map;

/** {@link ObjectChangeTest} with the requests through the AWS SDK's HTTP client, as behind a proxy or with a caller's client. */
class SdkObjectChangeTest extends ObjectChangeTest {
    @Override
    Map<String, String> environment() {
        return Fixtures.SDK_TRANSPORT;
    }
}
