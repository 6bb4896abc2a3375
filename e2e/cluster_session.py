#!/usr/bin/env python3
"""PROTOCOL.md section 4 through the cluster's load balancer, with the user and the agent on different nodes.

Used by e2e/compose-cluster.sh. Standard library only (a minimal RFC 6455 client: text frames, answers server
pings, masks what it sends). Which node holds a connection is read from each node's /healthz ("users", "agents")
with `docker exec`, since nginx, not the client, picks the node.

Usage: cluster_session.py BASE_URL CONTAINER_ID...   e.g. ws://127.0.0.1:18080/pinter/imserver id1 id2 id3
Exit 0 when the session plays as documented, 1 with the reason otherwise.
"""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time
from urllib.parse import urlsplit

USER = "admin"
AGENT = "cf2137234f3943e3898df8fcd14f099a__mtx"
REPLY = "同学,你好,非常高兴为你服务,有什么需要我帮忙的呢?"
STEP_TIMEOUT = 10.0


class Fail(Exception):
    pass


class Ws:
    """One WebSocket connection: send JSON, receive JSON text frames."""

    def __init__(self, url, name):
        self.name = name
        u = urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=STEP_TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + ("?" + u.query if u.query else "")
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise Fail(f"{name}: connection closed during the handshake")
            head += chunk
        status = head.split(b"\r\n", 1)[0].decode()
        if " 101 " not in status + " ":
            raise Fail(f"{name}: handshake answered '{status}'")

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise Fail(f"{self.name}: connection closed by the server")
            buf += chunk
        return buf

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send(self, obj):
        self._send_frame(0x1, json.dumps(obj, ensure_ascii=False).encode())

    def recv(self, deadline):
        """The next JSON text message (server pings answered on the way)."""
        text = b""
        while True:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                b1, b2 = self._recv_exact(2)
            except socket.timeout:
                raise Fail(f"{self.name}: nothing received in time") from None
            opcode, n = b1 & 0x0F, b2 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._recv_exact(8))[0]
            payload = self._recv_exact(n)
            if opcode == 0x9:
                self._send_frame(0xA, payload)
            elif opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise Fail(f"{self.name}: closed by the server ({code} {payload[2:].decode(errors='replace')})")
            elif opcode in (0x1, 0x0):
                text += payload
                if b1 & 0x80:
                    return json.loads(text.decode())
            # binary frames and pongs are not part of the protocol: ignored

    def expect(self, what, **fields):
        """Reads until a message whose fields equal `fields` arrives; fails after STEP_TIMEOUT."""
        deadline = time.monotonic() + STEP_TIMEOUT
        seen = []
        while time.monotonic() < deadline:
            try:
                m = self.recv(deadline)
            except Fail as e:
                raise Fail(f"{e}; waiting for {what}, saw {seen}") from None
            if all(m.get(k) == v for k, v in fields.items()):
                return m
            seen.append(m)
        raise Fail(f"{self.name}: no {what} {fields}; saw {seen}")

    def close(self):
        try:
            self._send_frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


def health(container):
    """The node's /healthz JSON, read inside its container (the nodes publish no port)."""
    script = ('exec 3<>/dev/tcp/127.0.0.1/8080; printf "GET /healthz HTTP/1.0\\r\\n\\r\\n" >&3; '
              'cat <&3 | tail -n 1')
    out = subprocess.run(["docker", "exec", container, "bash", "-c", script], capture_output=True, text=True,
                         timeout=15)
    return json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip().startswith("{") else {}


def node_of(containers, field):
    """The container whose /healthz counts one `field` (users or agents), waiting up to STEP_TIMEOUT."""
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        holders = [c for c in containers if health(c).get(field, 0) >= 1]
        if len(holders) == 1:
            return holders[0]
        time.sleep(0.3)
    raise Fail(f"no single node reports one of {field}: " + str({c[:12]: health(c) for c in containers}))


def main(base, containers):
    agent = Ws(f"{base}/{AGENT}?role=agent", "agent")
    agent_node = node_of(containers, "agents")
    user, user_node = None, None
    for _ in range(6):
        user = Ws(f"{base}/{USER}", "user")
        user_node = node_of(containers, "users")
        if user_node != agent_node:
            break
        user.close()  # nginx put it next to the agent: reconnect until it lands elsewhere
        time.sleep(0.5)
    if user_node == agent_node:
        raise Fail("nginx kept the user on the agent's node; the cross-node path was not exercised")

    # 2. match
    user.send({"type": "match", "from": USER, "to": "system"})
    user.expect("match", type="match", code="0", msg=AGENT, to=USER)
    agent.expect("match notice", type="match", code="0", msg=USER, to=AGENT)
    # 3. normal user -> agent, receipt "push success"
    user.send({"type": "normal", "from": USER, "to": AGENT, "msg": "你好", "msgId": "111"})
    user.expect("receipt", type="receipt", code="0", msg="push success", msgId="111")
    agent.expect("user's message", type="normal", **{"from": USER}, msg="你好")
    # 4. the agent's reply
    agent.send({"type": "normal", "to": USER, "msg": REPLY, "msgId": "a-1"})
    agent.expect("receipt", type="receipt", code="0", msg="push success", msgId="a-1")
    user.expect("agent's reply", type="normal", **{"from": AGENT}, msg=REPLY)
    # 5. an empty message
    user.send({"type": "normal", "to": AGENT, "msg": "", "msgId": "112"})
    user.expect("empty-message receipt", type="receipt", code="1", msg="消息内容为空", msgId="112")
    user.close()
    agent.close()
    return user_node, agent_node


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    try:
        u, a = main(sys.argv[1].rstrip("/"), sys.argv[2:])
    except (Fail, OSError, ValueError) as e:
        print(f"cluster session FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    print(f"cluster session: PROTOCOL.md §4 played through nginx, user on {u[:12]}, agent on {a[:12]}")
