#!/usr/bin/env python3
"""The object-storage benchmark's helpers: a real S3 server (S3Proxy) or Azure Blob Storage server
(Azurite) on loopback, a chain uploaded in the layout the kubevirt-datamover controller writes, and
the controller's own restore workflow (download every file, chained `qemu-img rebase -u`,
`qemu-img convert -O raw`, sync) to time against `qcow2-restore datamover-restore`. Driven by
benchmarks/compare-datamover.sh; see benchmarks/README.md.

  datamover_bench.py serve DIR PORT JAR          start S3Proxy (filesystem backend under DIR), print its URL
  datamover_bench.py serve-azure DIR AZURITE_BLOB   start Azurite's blob service, print its account URL
  datamover_bench.py upload URL CHAIN_DIR NS VM  upload the chain (full.qcow2, inc*.qcow2) as backup "bk"
  datamover_bench.py reference URL NS VM OUT SCRATCH   the controller's workflow; prints seconds
An Azurite URL (http://host:port/<account>) selects Azure's REST API with the account's shared key.
"""
import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import re
import urllib.parse
import shutil
import socket
import subprocess
import sys
import time

KEY, SECRET, BUCKET, PREFIX, DISK = "bench-key", "bench-secret", "velero", "oadp-kubevirt-datamover", "rootdisk"
LIVE_DISK = "/var/run/kubevirt-private/vmi-disks/rootdisk/disk.img"


def client(url):
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=url, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                        region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                                      response_checksum_validation="when_required", max_pool_connections=16))


def serve(directory, port, jar):
    os.makedirs(os.path.join(directory, "data"), exist_ok=True)
    conf = os.path.join(directory, "s3proxy.conf")
    with open(conf, "w") as f:
        f.write("s3proxy.endpoint=http://127.0.0.1:%s\ns3proxy.authorization=aws-v2-or-v4\n"
                "s3proxy.identity=%s\ns3proxy.credential=%s\njclouds.provider=filesystem\n"
                "jclouds.filesystem.basedir=%s\n" % (port, KEY, SECRET, os.path.join(directory, "data")))
    log = open(os.path.join(directory, "s3proxy.log"), "w")
    p = subprocess.Popen(["java", "-Xmx512m", "-jar", jar, "--properties", conf], stdout=log, stderr=log,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    with open(os.path.join(directory, "s3proxy.pid"), "w") as f:
        f.write(str(p.pid))
    for _ in range(180):
        try:
            socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
            print("http://127.0.0.1:%s" % port)
            return
        except OSError:
            if p.poll() is not None:
                sys.exit("S3Proxy exited, see " + log.name)
            time.sleep(0.5)
    sys.exit("S3Proxy did not answer")


AZ_ACCOUNT = "benchacct"
AZ_KEY = base64.b64encode(b"qcow2j-benchmark-key-of-32-bytes").decode()


def serve_azure(directory, azurite):
    """Azurite's blob service on a free loopback port, the account AZ_ACCOUNT; prints its URL and writes
    the account's key as Velero's credentials file DIR/cloud."""
    os.makedirs(directory, exist_ok=True)
    log = open(os.path.join(directory, "azurite.log"), "w+")
    p = subprocess.Popen([azurite, "--blobHost", "127.0.0.1", "--blobPort", "0", "--location", directory,
                          "--disableTelemetry", "--skipApiVersionCheck", "--disableProductStyleUrl"],
                         stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
                         env=dict(os.environ, AZURITE_ACCOUNTS="%s:%s" % (AZ_ACCOUNT, AZ_KEY)))
    with open(os.path.join(directory, "azurite.pid"), "w") as f:
        f.write(str(p.pid))
    for _ in range(120):
        with open(log.name) as f:
            m = re.search(r"listens on (http://127\.0\.0\.1:\d+)", f.read())
        if m:
            with open(os.path.join(directory, "cloud"), "w") as f:  # Velero's Azure credentials file
                f.write("AZURE_STORAGE_ACCOUNT_ACCESS_KEY=%s\n" % AZ_KEY)
            print("%s/%s" % (m.group(1), AZ_ACCOUNT))
            return
        if p.poll() is not None:
            sys.exit("Azurite exited, see " + log.name)
        time.sleep(0.5)
    sys.exit("Azurite did not answer")


class Blobs:
    """The few Blob REST calls the benchmark needs, signed with the account's shared key (stdlib only)."""

    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port, self.account = u.hostname, u.port, u.path.strip("/")

    def call(self, verb, path, body=None, length=0, headers=None, out=None):
        path, _, query = path.partition("?")
        path = "/%s/%s" % (self.account, urllib.parse.quote(path))
        h = {"x-ms-date": email.utils.formatdate(usegmt=True), "x-ms-version": "2021-08-06"}
        h.update(headers or {})
        canon_headers = "".join("%s:%s\n" % (k, h[k]) for k in sorted(h) if k.startswith("x-ms-"))
        canon_resource = "/%s%s" % (self.account, path) + "".join(
            "\n%s:%s" % (k, v) for k, v in sorted(urllib.parse.parse_qsl(query)))
        to_sign = "\n".join([verb, "", "", str(length) if length else "", "", h.get("Content-Type", ""), "", "", "",
                             "", "", ""]) + "\n" + canon_headers + canon_resource
        sig = base64.b64encode(hmac.new(base64.b64decode(AZ_KEY), to_sign.encode(), hashlib.sha256).digest())
        h["Authorization"] = "SharedKey %s:%s" % (self.account, sig.decode())
        if length:
            h["Content-Length"] = str(length)
        c = http.client.HTTPConnection(self.host, self.port, timeout=600)
        c.request(verb, path + ("?" + query if query else ""), body=body, headers=h)
        r = c.getresponse()
        if r.status >= 300 and not (verb == "PUT" and query and r.status == 409):
            sys.exit("%s %s: HTTP %d %s" % (verb, path, r.status, r.read()[:300]))
        if out is None:
            data = r.read()
        else:
            shutil.copyfileobj(r, out, 1 << 20)
            data = None
        c.close()
        return data

    def create_container(self, name):
        self.call("PUT", name + "?restype=container")

    def put(self, container, key, data):
        self.call("PUT", "%s/%s" % (container, key), body=data, length=len(data), headers={"x-ms-blob-type": "BlockBlob"})

    def put_file(self, container, key, path):
        with open(path, "rb") as f:
            self.call("PUT", "%s/%s" % (container, key), body=f, length=os.path.getsize(path),
                      headers={"x-ms-blob-type": "BlockBlob"})

    def get(self, container, key):
        return self.call("GET", "%s/%s" % (container, key))

    def download(self, container, key, path):
        with open(path, "wb") as f:
            self.call("GET", "%s/%s" % (container, key), out=f)


class S3:
    """The same calls on S3, through boto3."""

    def __init__(self, url):
        self.s3 = client(url)

    def create_container(self, name):
        try:
            self.s3.create_bucket(Bucket=name)
        except Exception as e:  # already there
            if "BucketAlreadyOwnedByYou" not in str(e):
                raise

    def put(self, bucket, key, data):
        self.s3.put_object(Bucket=bucket, Key=key, Body=data)

    def put_file(self, bucket, key, path):
        self.s3.upload_file(path, bucket, key)

    def get(self, bucket, key):
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def download(self, bucket, key, path):
        self.s3.download_file(bucket, key, path)


def store(url):
    return Blobs(url) if urllib.parse.urlparse(url).path.strip("/") else S3(url)


def chain_files(chain_dir):
    incs = sorted(f for f in os.listdir(chain_dir) if f.startswith("inc") and f.endswith(".qcow2"))
    return [os.path.join(chain_dir, "full.qcow2")] + [os.path.join(chain_dir, f) for f in incs]


def upload(url, chain_dir, ns, vm):
    s3 = store(url)
    s3.create_container(BUCKET)
    files = chain_files(chain_dir)
    checkpoints, ids = [], []
    for i, path in enumerate(files):
        cid = "cp%03d" % (i + 1)
        name = "vmb-%s-%s.qcow2" % (cid, DISK)
        rel = "checkpoints/%s/%s/%s/%s" % (ns, vm, cid, name)
        if i:  # libvirt stores the live disk's in-pod path as every incremental's backing file name
            named = os.path.join(os.path.dirname(os.path.abspath(chain_dir)), "named-" + os.path.basename(path))
            subprocess.run(["cp", "--sparse=always", path, named], check=True)
            subprocess.run(["qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "raw", "-b", LIVE_DISK, named],
                           check=True)
            s3.put_file(BUCKET, PREFIX + "/" + rel, named)
            os.unlink(named)
        else:
            s3.put_file(BUCKET, PREFIX + "/" + rel, path)
        entry = {"id": cid, "type": "full" if i == 0 else "incremental", "timestamp": "2026-12-01T00:00:00Z",
                 "vmBackup": "vmb-" + cid, "files": [{"filename": name, "diskName": DISK,
                                                      "size": os.path.getsize(path), "objectPath": rel}],
                 "pvcs": [DISK], "pvcSizes": ["10Gi"], "referencedBy": ["bk"]}
        if i:
            entry["parent"] = ids[-1]
        checkpoints.append(entry)
        ids.append(cid)
    put = lambda rel, doc: s3.put(BUCKET, PREFIX + "/" + rel, json.dumps(doc).encode())
    put("checkpoints/%s/%s/index.json" % (ns, vm), {"vmName": vm, "namespace": ns, "checkpoints": checkpoints,
                                                   "lastUpdated": "2026-12-01T00:00:00Z"})
    manifest = "manifests/bk/%s-%s.json" % (ns, vm)
    put(manifest, {"namespace": ns, "name": vm, "checkpointChain": ids, "backupName": "bk",
                   "timestamp": "2026-12-01T00:00:00Z"})
    put("manifests/bk/index.json", {"backupName": "bk", "timestamp": "2026-12-01T00:00:00Z",
                                    "vms": [{"name": vm, "namespace": ns, "checkpointId": ids[-1],
                                             "manifestPath": manifest}]})


def reference(url, ns, vm, out, scratch):
    """What the controller's downloader does, timed end to end: read the manifest and the index,
    download every file of the chain to scratch, rebase each link onto its predecessor, convert the
    newest to raw, and sync (qcow2-restore forces its output before it reports success)."""
    start = time.time()
    s3 = store(url)
    get = lambda rel: json.loads(s3.get(BUCKET, PREFIX + "/" + rel))
    chain = get("manifests/bk/%s-%s.json" % (ns, vm))["checkpointChain"]
    index = {c["id"]: c for c in get("checkpoints/%s/%s/index.json" % (ns, vm))["checkpoints"]}
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    local = []
    for i, cid in enumerate(chain):
        f = index[cid]["files"][0]
        path = os.path.join(scratch, "%03d-%s" % (i, f["filename"]))
        s3.download(BUCKET, PREFIX + "/" + f["objectPath"], path)
        local.append(path)
    for prev, cur in zip(local, local[1:]):
        subprocess.run(["qemu-img", "rebase", "-u", "-f", "qcow2", "-F", "qcow2", "-b", prev, cur], check=True)
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", local[-1], out], check=True)
    subprocess.run(["sync"], check=True)
    print("%.3f" % (time.time() - start))
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"serve": serve, "serve-azure": serve_azure, "upload": upload, "reference": reference}[cmd](*args)
