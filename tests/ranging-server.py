#!/usr/bin/python3
"""ranging-server.py - a tiny LDAP server that ranges as Active Directory does.

Samba and slapd never send an attribute in parts, so tests/it_range.sh runs
dirmail against this instead: it answers binds (any), searches (the filter
is ignored: every entry under the base, or the base entry itself) and
abandons, and sends a multi-valued attribute of more than MAXVAL values as
AD does (MS-ADTS 3.1.1.3.1.3.3): "member;range=0-1499" with the first
values, and to a request for "member;range=LO-*" the values from LO on,
under "member;range=LO-HI" or, for the last part, "member;range=LO-*".
Every entry of a search is written at once, before the client can ask for
the rest of a ranged one, so the client's requests for parts run beside a
search whose answers are still queued.

  ranging-server.py PORTFILE [--loop | --stall]

listens on 127.0.0.1 at a free port, writes the port to PORTFILE and
serves until killed. --loop answers every request for a part with the
first part again (a server that does not advance); --stall answers it
without the attribute.
"""
import os
import socket
import sys
import threading

MAXVAL = 1500
SUFFIX = "dc=test"


def people(n, prefix="u"):
    return ["CN=%s%04d,OU=people,DC=test" % (prefix, i) for i in range(n)]


ENTRIES = [
    ("cn=big,dc=test", [("objectClass", ["group", "dirmailList"]), ("cn", ["big"]),
                        ("mail", ["big@example.test"]), ("member", people(3500))]),
    ("cn=edge,dc=test", [("objectClass", ["group", "dirmailList"]), ("cn", ["edge"]),
                         ("mail", ["edge@example.test"]), ("Member", people(1501, "e"))]),
    ("cn=small,dc=test", [("objectClass", ["group", "dirmailList"]), ("cn", ["small"]),
                          ("mail", ["small@example.test"]), ("member", people(3, "s"))]),
    ("cn=many,dc=test", [("objectClass", ["user"]), ("cn", ["many"]),
                         ("mail", ["many@example.test"]),
                         ("proxyAddresses", ["smtp:a%04d@example.test" % i
                                             for i in range(1600)])]),
]


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + enc_len(len(content)) + content


def integer(tag, n):
    return tlv(tag, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def octets(s):
    return tlv(0x04, s.encode() if isinstance(s, str) else s)


def message(msgid, op):
    return tlv(0x30, integer(0x02, msgid) + op)


def result(tag, code=0, diag=""):
    return tlv(tag, integer(0x0A, code) + octets("") + octets(diag))


def entry(dn, attrs):
    body = b"".join(tlv(0x30, octets(name) + tlv(0x31, b"".join(octets(v) for v in vals)))
                    for name, vals in attrs)
    return tlv(0x64, octets(dn) + tlv(0x30, body))


def parse(buf, at):
    """One TLV at buf[at:]: (tag, content start, end), or None if incomplete."""
    if at + 2 > len(buf):
        return None
    tag, n, p = buf[at], buf[at + 1], at + 2
    if n & 0x80:
        k = n & 0x7F
        if p + k > len(buf):
            return None
        n, p = int.from_bytes(buf[p:p + k], "big"), p + k
    if p + n > len(buf):
        return None
    return tag, p, p + n


def children(buf, start, end):
    out = []
    while start < end:
        tag, p, e = parse(buf, start)
        out.append((tag, p, e))
        start = e
    return out


def part_of(vals, lo, name):
    """The part of vals from index lo on, as AD names it."""
    hi = min(lo + MAXVAL, len(vals)) - 1
    last = hi == len(vals) - 1
    return ("%s;range=%d-%s" % (name, lo, "*" if last else hi), vals[lo:hi + 1])


def answer_attrs(attrs, wanted, mode):
    """The attributes of an entry for the attribute list wanted."""
    plain = [w for w in wanted if ";range=" not in w.lower()]
    ranged = {}
    for w in wanted:
        if ";range=" in w.lower():
            base, opt = w.split(";", 1)
            lo = int(opt.split("=", 1)[1].split("-", 1)[0])
            ranged[base.lower()] = lo
    out = []
    for name, vals in attrs:
        key = name.lower()
        if key in ranged:
            if mode == "stall":
                continue
            out.append(part_of(vals, 0 if mode == "loop" else ranged[key], name))
        elif not wanted or "*" in plain or key in [p.lower() for p in plain]:
            if len(vals) > MAXVAL:
                out.append(part_of(vals, 0, name))
            else:
                out.append((name, vals))
    return out


def serve(conn, mode):
    buf = b""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        buf += data
        while True:
            t = parse(buf, 0)
            if t is None:
                break
            _, p, e = t
            msg = children(buf, p, e)
            msgid = int.from_bytes(buf[msg[0][1]:msg[0][2]], "big")
            tag, op_start, op_end = msg[1]
            if tag == 0x60:  # BindRequest
                conn.sendall(message(msgid, result(0x61)))
            elif tag == 0x42:  # UnbindRequest
                return
            elif tag == 0x63:  # SearchRequest
                f = children(buf, op_start, op_end)
                base = buf[f[0][1]:f[0][2]].decode()
                scope = buf[f[1][1]]
                wanted = [buf[a[1]:a[2]].decode() for a in children(buf, f[7][1], f[7][2])]
                out = b""
                for dn, attrs in ENTRIES:
                    if (scope == 0 and dn.lower() == base.lower()) or \
                            (scope != 0 and dn.lower().endswith(base.lower())):
                        out += message(msgid, entry(dn, answer_attrs(attrs, wanted, mode)))
                if scope == 0 and not out:
                    out = message(msgid, result(0x65, 32, "no such object"))
                else:
                    out += message(msgid, result(0x65))
                conn.sendall(out)
            elif tag == 0x77:  # ExtendedRequest: no Who am I? here, as on Samba
                conn.sendall(message(msgid, result(0x78, 2, "unsupported extended operation")))
            # AbandonRequest (0x50) and anything else: no answer
            buf = buf[e:]


def main():
    portfile = sys.argv[1]
    mode = sys.argv[2][2:] if len(sys.argv) > 2 else "normal"
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=lambda c=conn: (serve(c, mode), c.close()), daemon=True).start()


if __name__ == "__main__":
    main()
