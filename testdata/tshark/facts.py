#!/usr/bin/env python3
"""Convert tshark -T json output into ikescope reference "facts".

Usage: tshark -r CAP -T json ... | python3 facts.py CAPTURE_NAME TSHARK_VERSION > OUT.json

Stdlib only. tshark's JSON repeats keys inside one object (several
"isakmp.typepayload"/"isakmp.typepayload_tree" pairs, several
"isakmp.ike.attr" objects, ...), so the document is parsed with an
object_pairs_hook that keeps every object as a list of (key, value) pairs.
See README.md for the output schema and tshark's quirks.
"""

import json
import sys

MALFORMED_GROUP = 0x07000000  # PI_MALFORMED expert group


class Obj(list):
    """A JSON object kept as an ordered list of (key, value) pairs."""

    def get(self, key, default=None):
        for k, v in self:
            if k == key:
                return v
        return default

    def all(self, key):
        return [v for k, v in self if k == key]


def load(text):
    return json.loads(text, object_pairs_hook=Obj)


def hexstr(v):
    return v.replace(":", "").lower() if isinstance(v, str) else ""


def to_int(v):
    if v is None:
        return None
    v = v.strip()
    try:
        return int(v, 0)
    except ValueError:
        return int(v, 16)


def has_malformed(node):
    """True if a tshark subtree carries a Malformed marker/expert item."""
    if not isinstance(node, Obj):
        return False
    for k, v in node:
        if k == "_ws.malformed":
            return True
        if k == "_ws.expert" and isinstance(v, Obj):
            g = v.get("_ws.expert.group")
            if g is not None and to_int(g) == MALFORMED_GROUP:
                return True
            if v.get("_ws.malformed.expert") is not None:
                return True
        if k != "isakmp" and isinstance(v, Obj) and has_malformed(v):
            return True
    return False


def nested_messages(layer):
    """ISAKMP messages tshark dissects inside a payload of this message.

    This happens for IKEv1 (Cisco) fragmentation, payload type 132: on the
    last fragment tshark reassembles the message and dissects it as an
    "isakmp" object inside the fragment payload's tree.
    """
    out = []
    for typ, sub in payloads(layer):
        for v in sub.all("isakmp"):
            if isinstance(v, Obj):
                out.append(v)
    return out


def payloads(tree):
    """(type, subtree) for each payload directly under tree, in order.

    tshark writes every payload as "isakmp.typepayload": "<n>" immediately
    followed by "isakmp.typepayload_tree": {...}. A payload whose subtree is
    missing (nothing dissected) gets an empty Obj.
    """
    out = []
    for k, v in tree:
        if k == "isakmp.typepayload":
            out.append([to_int(v), Obj()])
        elif k == "isakmp.typepayload_tree" and out and isinstance(v, Obj):
            out[-1][1] = v
    return out


def attr_value(a):
    val = a.get(next((k for k, _ in a if k.endswith(".attr.value")), ""))
    if val is None:
        return None
    b = hexstr(val)
    if len(b) <= 16:
        return int(b, 16) if b else 0
    return b


def attributes(tf):
    out = []
    for k, v in tf:
        # isakmp.ike.attr (IKEv1 phase 1), isakmp.ipsec.attr (IKEv1 phase 2),
        # isakmp.ike2.attr (IKEv2), isakmp.key_download.attr (GDOI)
        if not (k.startswith("isakmp.") and k.endswith(".attr") and isinstance(v, Obj)):
            continue
        t = v.get(k + ".type")
        if t is None:
            continue
        a = {"type": to_int(t) & 0x7FFF}
        val = attr_value(v)
        if val is not None:
            a["value"] = val
        out.append(a)
    return out


def transform(tf):
    t = {"num": 0, "type": 0, "id": None}
    for k, v in tf:
        if isinstance(v, Obj):
            continue
        if k == "isakmp.trans.number":
            t["num"] = to_int(v)
        elif k == "isakmp.tf.type":
            t["type"] = to_int(v)
        elif t["id"] is None and (k.startswith("isakmp.trans.id") or k.startswith("isakmp.tf.id")):
            t["id"] = to_int(v)
    if t["id"] is None:
        del t["id"]
    attrs = attributes(tf)
    if attrs:
        t["attrs"] = attrs
    return t


def proposal(pt):
    n = pt.get("isakmp.prop.number")
    if n is None:
        # tshark gave up inside the proposal header (only the generic payload
        # header is shown): there is no proposal to report.
        return None
    p = {"num": to_int(n)}
    proto = pt.get("isakmp.prop.protoid")
    if proto is not None:
        p["protocol"] = to_int(proto)
    p["spi"] = hexstr(pt.get("isakmp.spi", ""))
    tfs = [transform(sub) for typ, sub in payloads(pt) if typ == 3]
    if tfs:
        p["transforms"] = tfs
    return p


def ike_message(layer):
    m = {}
    m["ispi"] = hexstr(layer.get("isakmp.ispi"))
    m["rspi"] = hexstr(layer.get("isakmp.rspi"))
    vt = layer.get("isakmp.version_tree")
    if isinstance(vt, Obj) and vt.get("isakmp.mjver") is not None:
        m["version"] = "%d.%d" % (to_int(vt.get("isakmp.mjver")), to_int(vt.get("isakmp.mnver", "0")))
    elif layer.get("isakmp.version") is not None:
        v = to_int(layer.get("isakmp.version"))
        m["version"] = "%d.%d" % (v >> 4, v & 0xF)
    for key, field in (("exchange", "isakmp.exchangetype"), ("flags", "isakmp.flags"),
                       ("msgid", "isakmp.messageid"), ("length", "isakmp.length")):
        v = layer.get(field)
        if v is not None:
            m[key] = to_int(v)
    for key in list(m):
        if m[key] == "" and key in ("ispi", "rspi"):
            del m[key]
    pls = payloads(layer)
    m["payloads"] = [t for t, _ in pls]
    notify, vids, props = [], [], []
    for typ, sub in pls:
        for v in sub.all("isakmp.notify.msgtype"):
            notify.append(to_int(v))
        for v in sub.all("isakmp.vid_bytes"):
            vids.append(hexstr(v))
        if typ in (1, 33):  # IKEv1 SA, IKEv2 SA
            props.extend(p for p in (proposal(pt) for ptyp, pt in payloads(sub) if ptyp == 2) if p)
    if notify:
        m["notify"] = notify
    if vids:
        m["vendor_ids"] = vids
    if props:
        m["proposals"] = props
    return m


def frame_facts(layers):
    ike, esp = [], []
    last_ike = None
    for k, v in layers:
        if k == "isakmp" and isinstance(v, Obj):
            last_ike = ike_message(v)
            if has_malformed(v):
                last_ike["malformed"] = True
            ike.append(last_ike)
            for inner in nested_messages(v):
                m = ike_message(inner)
                if has_malformed(inner):
                    m["malformed"] = True
                m["reassembled"] = True
                ike.append(m)
            continue
        if k == "_ws.malformed" and last_ike is not None:
            # Exception while dissecting the preceding ISAKMP layer.
            last_ike["malformed"] = True
            continue
        if k.startswith("_ws."):
            continue
        last_ike = None
        if k == "esp" and isinstance(v, Obj):
            e = {}
            if v.get("esp.spi") is not None:
                e["spi"] = to_int(v.get("esp.spi"))
            if v.get("esp.sequence") is not None:
                e["seq"] = to_int(v.get("esp.sequence"))
            esp.append(e)
    return ike, esp


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: facts.py CAPTURE_NAME TSHARK_VERSION < tshark.json")
    capture, version = sys.argv[1], sys.argv[2]
    text = sys.stdin.read()
    packets = load(text) if text.strip() else []
    frames = []
    for pkt in packets:
        layers = pkt.get("_source").get("layers")
        num = to_int(layers.get("frame").get("frame.number"))
        ike, esp = frame_facts(layers)
        if not ike and not esp:
            continue
        f = {"frame": num}
        if ike:
            f["ike"] = ike
        if esp:
            f["esp"] = esp
        frames.append(f)
    out = sys.stdout
    out.write("{\"capture\": %s,\n \"tshark_version\": %s,\n \"frames\": [" %
              (json.dumps(capture), json.dumps(version)))
    for i, f in enumerate(frames):
        out.write(("\n  " if i == 0 else ",\n  ") + json.dumps(f))
    out.write("\n ]}\n" if frames else "]}\n")


if __name__ == "__main__":
    main()
