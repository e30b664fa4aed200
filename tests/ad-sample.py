#!/usr/bin/python3
"""ad-sample.py - the sample tenant on Active Directory, for it_ad_sample.sh.

  ad-sample.py load URI BINDDN PWFILE ADBASE TENANT.LDIF
      Adds ldif/tenant.ldif (written for OpenLDAP) to an AD DC as AD objects
      under OU=tenant,ADBASE: inetOrgPerson users become user objects named
      CN=<uid> (sAMAccountName <uid>, a normal enabled account), groupOfNames
      lists distribution groups, other entries containers; DNs in values are
      moved along. Users and lists are added in the file's order, so that
      AD's order (whenCreated, which counts seconds and cannot be set, then
      the DN) is the file's: one whose DN sorts before the previous one's
      waits for the next second.
      Times get AD's fraction (20260801000000Z: 20260801000000.0Z). Prints
      each DN value AD cannot hold (one naming no object).

  ad-sample.py compare SLAPD.LDIF AD.LDIF ADBASE
      Compares two `dirmail export`s, the OpenLDAP one with its DNs moved as
      `load` moves them (in values and inside texts too), on everything but
      names, identities and classes; prints "# N entries, M values compared",
      then one line per difference ("DN: attr: only on slapd|AD: value").
"""
import re
import sys
import time

import ldap
import ldap.dn
import ldap.modlist
import ldif

SLAPD_BASE = "dc=example,dc=test"

# Attributes of the export that say what the directories are, not what a
# pass derived: names, identities, classes, AD's own account flags, and
# the random mailbox GUID.
NOT_COMPARED = {
    "objectclass", "entryuuid", "objectguid", "cn", "uid", "samaccountname",
    "useraccountcontrol", "msexchmailboxguid", "description", "displayname",
    "givenname", "sn", "initials", "grouptype", "departmentnumber",
}


TENANT_DN_IN_TEXT = re.compile(r"\b(?:uid|cn|ou)=[^,\s]+(?:,(?:uid|cn|ou)=[^,\s]+)*,"
                               + re.escape(SLAPD_BASE), re.I)


def ad_dn(dn, ad_base):
    """The AD DN of an OpenLDAP DN of the tenant; other DNs unchanged."""
    rdns = ldap.dn.str2dn(dn)
    base = ldap.dn.str2dn(SLAPD_BASE)

    def low(rs):
        return [tuple((a.lower(), v.lower()) for a, v, _ in r) for r in rs]
    if len(rdns) < len(base) or low(rdns[len(rdns) - len(base):]) != low(base):
        return dn
    out = []
    for rdn in rdns[:len(rdns) - len(base)]:
        (attr, val, flags), = rdn
        attr = {"uid": "CN", "cn": "CN", "ou": "OU"}.get(attr.lower(), attr)
        out.append([(attr, val, flags)])
    out.append([("OU", "tenant", 1)])
    return ldap.dn.dn2str(out) + "," + ad_base


def is_tenant_dn(v):
    try:
        return ldap.dn.is_dn(v) and v.lower().endswith(SLAPD_BASE)
    except Exception:
        return False


def convert(dn, entry, ad_base):
    """(AD DN, AD attributes, ordered): the AD form of one tenant entry."""
    classes = {c.decode().lower() for c in entry.get("objectClass", [])}
    out = {}
    for attr, vals in entry.items():
        a = attr.lower()
        if a in ("objectclass", "createtimestamp", "entryuuid", "userpassword",
                 "cn", "uid", "o", "dc", "ou"):
            continue
        new = []
        for v in vals:
            if a == "member" and v == b"":
                continue  # groupOfNames's placeholder: AD groups need none
            try:
                s = v.decode()
            except UnicodeDecodeError:
                new.append(v)
                continue
            if re.fullmatch(r"[0-9]{14}Z", s):
                # AD's GeneralizedTime wants a fraction (Samba refuses
                # "...235959Z" as invalid, 0000200B).
                s = s[:-1] + ".0Z"
            new.append((ad_dn(s, ad_base) if is_tenant_dn(s) else s).encode())
        out[attr] = new
    ordered = False
    if dn.lower() == SLAPD_BASE or "organizationalunit" in classes:
        out["objectClass"] = [b"organizationalUnit"]
    elif "inetorgperson" in classes:
        uid = entry["uid"][0]
        out["objectClass"] = [b"user", b"dirmailUser"]
        out["sAMAccountName"] = [uid]
        out["userAccountControl"] = [b"66048"]
        ordered = True
    elif "groupofnames" in classes:
        out["objectClass"] = [b"group", b"dirmailList"]
        out["groupType"] = [b"8"]
        out["sAMAccountName"] = [entry["cn"][0]]
        ordered = True
    elif "dirmailaccount" in classes:
        out["objectClass"] = [b"dirmailAccount"]
    else:
        out["objectClass"] = [b"container"]
    return ad_dn(dn, ad_base), out, ordered


def load(uri, binddn, pwfile, ad_base, tenant):
    with open(pwfile) as f:
        pw = f.read().rstrip("\n")
    conn = ldap.initialize(uri)
    conn.simple_bind_s(binddn, pw)
    records = ldif.LDIFRecordList(open(tenant, "rb"))
    records.parse()
    converted = [convert(dn, e, ad_base) for dn, e in records.all_records]
    # AD refuses a DN value naming nothing: values naming an entry added
    # later go in once everyone is there; those naming no entry at all
    # cannot be held.
    exists = {dn.lower() for dn, _, _ in converted}
    added, later = set(), []
    prev_dn, prev_sec = None, None
    for dn, attrs, ordered in converted:
        for attr in list(attrs):
            now, wait = [], []
            for v in attrs[attr]:
                t = v.decode(errors="replace").lower()
                if t in exists and t not in added:
                    wait.append(v)
                elif t.endswith(ad_base.lower()) and t not in exists and ldap.dn.is_dn(t):
                    print("%s: %s %s: names no object, which AD cannot hold"
                          % (dn, attr, v.decode()))
                else:
                    now.append(v)
            if wait:
                later.append((dn, attr, wait))
            if now:
                attrs[attr] = now
            else:
                del attrs[attr]
        if ordered and prev_dn is not None and dn.lower() <= prev_dn:
            # AD orders claims by whenCreated, in seconds, then by DN:
            # one that sorts before the previous must come a second later.
            while int(time.time()) <= prev_sec:
                time.sleep(0.02)
        conn.add_s(dn, ldap.modlist.addModlist(attrs))
        added.add(dn.lower())
        if ordered:
            prev_dn, prev_sec = dn.lower(), int(time.time())
    for dn, attr, vals in later:
        conn.modify_s(dn, [(ldap.MOD_ADD, attr, vals)])
    conn.unbind_s()


def derived(path, move, ad_base):
    """{dn: {attr: set(values)}} of an export, DNs moved when move."""
    records = ldif.LDIFRecordList(open(path, "rb"))
    records.parse()
    out = {}
    for dn, entry in records.all_records:
        key = (ad_dn(dn, ad_base) if move else dn).lower()
        attrs = {}
        for attr, vals in entry.items():
            if attr.lower() in NOT_COMPARED:
                continue
            s = set()
            for v in vals:
                try:
                    t = v.decode()
                except UnicodeDecodeError:
                    s.add(repr(v))
                    continue
                if move and is_tenant_dn(t):
                    t = ad_dn(t, ad_base)
                elif move:
                    # A tenant DN inside a text (dirmailState's reasons).
                    t = TENANT_DN_IN_TEXT.sub(lambda m: ad_dn(m.group(0), ad_base), t)
                # The loader gave times AD's fraction.
                t = re.sub(r"^([0-9]{14})\.0Z$", r"\1Z", t)
                # DN values compare without case, as DNs do.
                s.add(t.lower() if ldap.dn.is_dn(t) and "=" in t else t)
            attrs[attr.lower()] = s
        out[key] = attrs
    return out


def compare(slapd_ldif, ad_ldif, ad_base):
    a = derived(slapd_ldif, True, ad_base)
    b = derived(ad_ldif, False, ad_base)
    values = sum(len(v) for attrs in a.values() for v in attrs.values())
    lines = ["# %d entries, %d values compared" % (len(a), values)]
    for dn in sorted(set(a) | set(b)):
        if dn not in b:
            lines.append("%s: only on slapd" % dn)
            continue
        if dn not in a:
            lines.append("%s: only on AD" % dn)
            continue
        for attr in sorted(set(a[dn]) | set(b[dn])):
            x, y = a[dn].get(attr, set()), b[dn].get(attr, set())
            for v in sorted(x - y):
                lines.append("%s: %s: only on slapd: %s" % (dn, attr, v))
            for v in sorted(y - x):
                lines.append("%s: %s: only on AD: %s" % (dn, attr, v))
    for line in lines:
        print(line)


def main(argv):
    if len(argv) == 7 and argv[1] == "load":
        load(*argv[2:])
    elif len(argv) == 5 and argv[1] == "compare":
        compare(*argv[2:])
    else:
        sys.stderr.write(__doc__)
        return 64
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
