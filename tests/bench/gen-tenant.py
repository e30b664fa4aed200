#!/usr/bin/python3
# gen-tenant.py USERS SAMPLE OUT ENV [NAMES] - a deterministic benchmark tenant.
# A deterministic tenant: the sample's base entries and account entry (its
# licences and storage raised to fit), users with varied and colliding names,
# a few non-ASCII, a service mix, aliases, hidden, explicit and taken
# addresses, forwards, leftovers of an earlier service, and four lists.
# NAMES "latin" (the default) gives the names above; "world" gives two in
# three users a name in another script (Cyrillic, Greek, Han, Vietnamese,
# Arabic, katakana), which dirmail transliterates through ICU.
import base64, datetime, random, sys, unicodedata

n, sample, out, envf = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
names_mode = sys.argv[5] if len(sys.argv) > 5 else "latin"
assert names_mode in ("latin", "world"), "NAMES is latin or world"
rnd = random.Random(20240101)
SUF = "dc=example,dc=test"
PEOPLE = "ou=people," + SUF
LISTS = "ou=lists," + SUF
GAL = "cn=Default Global Address List,ou=address lists," + SUF
T0 = datetime.datetime(2024, 1, 1, 9, 0, 0)

def line(attr, v):
    if v == "":
        return attr + ":"
    b = v.encode("utf-8")
    if all(0x20 <= c < 0x7F for c in b) and v[0] not in " :<" and v[-1] != " ":
        return "%s: %s" % (attr, v)
    return "%s:: %s" % (attr, base64.b64encode(b).decode())

def translit(s):
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"),
                 ("Ü", "Ue"), ("ß", "ss"), ("ł", "l"), ("Ł", "L"), ("ø", "o"),
                 ("Ø", "O"), ("æ", "ae"), ("ı", "i")):
        s = s.replace(a, b)
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s.lower() if c.isascii() and c.isalnum())

# The sample's entries other than users and lists, comments dropped.
base = []
for block in open(sample, encoding="utf-8").read().split("\n\n"):
    rec = [l for l in block.split("\n") if l and not l.startswith("#")]
    if rec and rec[0].startswith("dn: ") and not rec[0].endswith("," + PEOPLE) \
            and not rec[0].endswith("," + LISTS):
        base.append(rec)
assert any(r[0] == "dn: cn=account," + SUF for r in base), "no account entry in " + sample

# ASCII names, and a non-ASCII tenth: accents, umlauts, ß, apostrophes, spaces.
given = ("Anna Ben Clara David Emma Felix Greta Hans Ida Jonas Karin Lukas Mia Noah Olga "
         "Paul Quentin Rosa Simon Tina Uwe Vera Walter Xenia Yusuf Zoe Marie Max Sophie Leon "
         "Lena Finn Laura Tim Julia Jan Sarah Tom Lisa Erik Nina Ole Pia Rolf Sven Ute Karl "
         "Eva Alex Maria Anna-Lena Jean-Luc Hanna Otto Frieda D'Arcy").split()
given_x = ["José", "Zoë", "Jürgen", "Jörg", "Søren", "Łukasz", "François", "Björn", "Chloé",
           "Åsa", "Dörte", "Małgorzata", "René", "Gaëlle", "Jiří", "Günther", "Bärbel",
           "Mónica", "Ángel", "Cécile", "İlkay"]
pre = ("Berg Hof Stein Wald Brun Lind Kess Roth Schwarz Fisch Schmid Wagn Beck Hoffm "
       "Schulz Kra Neu Zimmer Hart Lang Jung Sommer Winter Busch Fuchs Vogel Frank Horn "
       "O'Br Mac").split() + ["Van der ", "de la "]
pre_x = "Weiß Kühn Müll Groß Bräu Jäg Köh Möll Öz Núñ Dvoř Šim Ødeg".split()
post = ["", "er", "mann", "hausen", "berg", "ler", "feld", "ing", "ow", "ski", "son", "ez"]
post_x = ["ová", "ić", "gård"]
surnames = [p + s for p in pre for s in post if (p + s).strip()] + \
    [p + q.lower() + s for p in pre[:-2] for q in pre[:-4] if p != q for s in post]
surnames_x = [p + s for p in pre_x for s in post + post_x] + \
    [p + s for p in pre for s in post_x] + \
    [p + q.lower() + s for p in pre[:-2] for q in pre_x for s in post]
taken_names = set()

# Names in other scripts, for NAMES "world": (given names, surnames) each.
world = [
    ("Иван Сергей Алексей Дмитрий Михаил Андрей Юрий Николай Евгений Владимир Ольга "
     "Наталья Елена Мария Анна Татьяна Ирина Светлана Ксения Юлия Олександр Ірина "
     "Богдан Оксана Їжак Љиљана Ђорђе".split(),
     "Петров Иванов Смирнов Кузнецов Попов Соколов Лебедев Козлов Новиков Морозов "
     "Волков Соловьёв Васильев Зайцев Павлов Семёнов Голубев Виноградов Богданов "
     "Воробьёв Фёдоров Михайлов Беляев Тарасов Белов Комаров Орлов Киселёв Макаров "
     "Андреев Хрущёв Щукин Чайковский Жуков Цветков Шевченко Коваленко Бондаренко "
     "Ткаченко Кравченко Зінченко Јовановић Петровић Ћирић".split()),
    ("Γιώργος Δημήτρης Κωνσταντίνος Γιάννης Νίκος Χρήστος Παναγιώτης Ευάγγελος Μαρία "
     "Ελένη Αικατερίνη Βασιλική Σοφία Αγγελική Δέσποινα".split(),
     "Παπαδόπουλος Παπαδάκης Βασιλείου Γεωργίου Νικολάου Οικονόμου Θεοδωρίδης "
     "Χατζηδάκης Καραγιάννης Αντωνίου Μακρής Δημητρίου Ιωάννου Αλεξίου Κωνσταντίνου "
     "Παππάς Λαμπράκης Σταματόπουλος".split()),
    ("伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 小龙 建华 志强 "
     "婷婷 晓明 文 斌 宇".split(),
     "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 "
     "冯 邓 曹 欧阳 司马".split()),
    ("An Bình Cường Dũng Hải Hùng Hương Lan Linh Minh Phương Quang Thảo Trang Tuấn "
     "Việt Thị Minh Văn Đức Ngọc Ánh Hồng Nhung".split(),
     "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()),
    ("محمد أحمد علي عمر فاطمة عائشة مريم يوسف حسن خالد ليلى سارة".split(),
     "العلي الأحمد الحسن الخطيب المصري الشامي حداد نصار سليمان عيسى".split()),
    ("タロウ ハナコ ケンジ ユキ ヒロシ アキラ サクラ ユウコ".split(),
     "ヤマダ タナカ スズキ サトウ ワタナベ イトウ ナカムラ コバヤシ".split()),
]

def fresh_name():
    """A name no earlier user has; one in ten is non-ASCII (latin), or two
    in three come from another script (world)."""
    if names_mode == "world" and rnd.random() < 2 / 3:
        gs, ss = world[rnd.randrange(len(world))]
        while True:
            g, s = rnd.choice(gs), rnd.choice(ss)
            if (g, s) not in taken_names:
                taken_names.add((g, s))
                return g, s
            # Few enough names to run out: a second given name, as
            # people have.
            gs = gs + [a + " " + b for a in gs[:4] for b in gs[-4:] if a != b]
    x = rnd.random() < 0.1
    while True:
        if not x:
            g, s = rnd.choice(given), rnd.choice(surnames)
        elif rnd.random() < 0.5:
            g, s = rnd.choice(given_x), rnd.choice(surnames)
        else:
            g, s = rnd.choice(given), rnd.choice(surnames_x)
        if (g, s) not in taken_names:
            taken_names.add((g, s))
            return g, s

users, uids, used, explicit = [], set(), [], []
stats = dict(pop=0, exchange=0, none=0, nonascii=0, nonlatin=0, samename=0, alias=0, hidden=0,
             explicit=0, taken=0, fwd_int=0, fwd_ext=0, leftover=0, invalid=0, disabled=0,
             quota=0)
quota_sum = 0

def add_user(i, uid, g, s, svc, extra):
    global quota_sum
    stats[{"pop-imap": "pop", "exchange": "exchange", "none": "none"}[svc]] += 1
    rec = ["dn: uid=%s,%s" % (uid, PEOPLE), "objectClass: top", "objectClass: person",
           "objectClass: organizationalPerson", "objectClass: inetOrgPerson",
           "objectClass: dirmailUser"]
    if any(l.startswith("mail:") for l in extra):
        rec.append("objectClass: dirmailRecipient")
    rec += ["uid: " + uid, line("cn", "%s %s" % (g, s)), line("givenName", g), line("sn", s),
            "userPassword: {SSHA}benchbenchbenchbenchbenchbenchbe", "dirmailService: " + svc]
    rec += extra
    ts = T0 + datetime.timedelta(seconds=60 * i)
    rec += ["createTimestamp: " + ts.strftime("%Y%m%d%H%M%SZ"),
            "entryUUID: d1b%05x-0000-4000-8000-%012x" % (i & 0xFFFFF, i)]
    users.append(rec)
    if svc != "none":
        q = [int(l.split(": ")[1]) for l in extra if l.startswith("dirmailQuota:")]
        quota_sum += q[0] if q and q[0] > 0 else 10

add_user(0, "main", "Main", "Account", "pop-imap", [])
uids.add("main")
dept_of = {}
for i in range(1, n):
    if used and rnd.random() < 0.02:
        g, s = rnd.choice(used)  # the same name again: generated addresses collide
        stats["samename"] += 1
    else:
        g, s = fresh_name()
    used.append((g, s))
    if not (g + s).isascii():
        stats["nonascii"] += 1
    if not any("LATIN" in unicodedata.name(c, "") for c in g + s):
        stats["nonlatin"] += 1
    stem = (translit(g)[:1] + translit(s))[:12]
    if len(stem) < 2:
        stem = "u%05d" % i  # another script: no Latin stem to build on
    uid, k = stem, 1
    while uid in uids:
        k += 1
        uid = "%s%d" % (stem, k)
    uids.add(uid)
    r = rnd.random()
    svc = "pop-imap" if r < 0.45 else "exchange" if r < 0.85 else "none"
    extra = []
    d = rnd.random()
    dept = "sales" if d < 0.08 else "support" if d < 0.14 else "dev" if d < 0.34 else \
        "ops" if d < 0.44 else None
    if dept:
        extra.append("departmentNumber: " + dept)
        dept_of[uid] = dept
    if svc != "none":
        if rnd.random() < 0.05:
            extra.append("dirmailAlias: " + (uid + ".alias" if rnd.random() < 0.5
                                             else uid + "-office@example.test"))
            stats["alias"] += 1
        if rnd.random() < 0.03:
            extra.append("dirmailHidden: TRUE")
            stats["hidden"] += 1
        r = rnd.random()
        if r < 0.01:
            a = uid + ".direct@example.test"
            explicit.append(a)
            extra.append("dirmailPrimaryAddress: " + a)
            stats["explicit"] += 1
        elif r < 0.011 and explicit:
            extra.append("dirmailPrimaryAddress: " + rnd.choice(explicit))  # address-taken
            stats["taken"] += 1
        r = rnd.random()
        if r < 0.005 and explicit:
            extra.append("dirmailForwardTo: " + rnd.choice(explicit))
            stats["fwd_int"] += 1
        elif r < 0.007:
            extra.append("dirmailForwardTo: %s@partner.example.net" % uid)
            if rnd.random() < 0.5:
                extra.append("dirmailForwardKeepCopy: TRUE")
            stats["fwd_ext"] += 1
        r = rnd.random()
        if r < 0.02:
            extra.append("dirmailQuota: %d" % rnd.choice((50, 100, 250, 500)))
            stats["quota"] += 1
        elif r < 0.022:
            extra.append("dirmailQuota: -5")  # invalid
            stats["invalid"] += 1
        elif r < 0.032:
            extra.append("dirmailQuotaNotify: FALSE")
        if rnd.random() < 0.005:
            extra.append("dirmailDisabled: TRUE")
            stats["disabled"] += 1
    elif rnd.random() < 0.04 and stats["leftover"] < 100:
        # service none, with the values dirmail wrote when it had a mailbox
        # (capped at 100)
        old = uid + ".old"
        extra += ["mail: %s@example.test" % old, "mailNickname: " + uid,
                  "proxyAddresses: SMTP:%s@example.test" % old,
                  "proxyAddresses: smtp:%s@example.org" % old,
                  "dirmailManagedAddress: %s@example.test" % old,
                  "dirmailManagedAddress: %s@example.org" % old,
                  "targetAddress: SMTP:%s@pop.example.test" % old,
                  "msExchRecipientTypeDetails: 128", "msExchRecipientDisplayType: 6",
                  "showInAddressBook: " + GAL, "msExchHideFromAddressLists: FALSE",
                  "dirmailState: ok"]
        stats["leftover"] += 1
    add_user(i, uid, g, s, svc, extra)

def member_dns(uids_):
    return ["member: uid=%s,%s" % (u, PEOPLE) for u in uids_]

all_uids = [r[0][len("dn: uid="):].split(",")[0] for r in users]
dev = [u for u in all_uids if dept_of.get(u) == "dev"]
tl = n * 60 + 3600
lists = [
    ["dn: cn=sales," + LISTS, "objectClass: top", "objectClass: groupOfNames",
     "objectClass: dirmailList", "cn: sales", "description: everyone in sales",
     "dirmailMemberFilter: (&(objectClass=dirmailUser)(departmentNumber=sales))", "member:"],
    ["dn: cn=team," + LISTS, "objectClass: top", "objectClass: groupOfNames",
     "objectClass: dirmailList", "cn: team", "description: static list"]
    + member_dns(sorted(rnd.sample(all_uids, min(60, n)))) + ["member: uid=gone," + PEOPLE],
    ["dn: cn=all-dev," + LISTS, "objectClass: top", "objectClass: groupOfNames",
     "objectClass: dirmailList", "cn: all-dev", "description: a large static list"]
    + member_dns(dev or ["main"]),
    ["dn: cn=board," + LISTS, "objectClass: top", "objectClass: groupOfNames",
     "objectClass: dirmailList", "cn: board", "dirmailHidden: TRUE",
     "dirmailPrimaryAddress: vorstand@example.test", "dirmailAlias: board"]
    + member_dns(["main"] + all_uids[1:6]),
]
for k, rec in enumerate(lists):
    ts = T0 + datetime.timedelta(seconds=tl + 60 * k)
    rec += ["createTimestamp: " + ts.strftime("%Y%m%d%H%M%SZ"),
            "entryUUID: d1c00000-0000-4000-8000-%012x" % k]

licences = (stats["pop"] + 9) // 10 * 10
storage = (quota_sum * 11 // 10 + 999) // 1000 * 1000
for rec in base:
    if rec[0] == "dn: cn=account," + SUF:
        # The first pass also removes list members that have no mailbox,
        # each a deletion: the threshold is raised to let it write.
        rec[:] = ["dirmailLicences: %d" % licences if l.startswith("dirmailLicences:")
                  else "dirmailStorageTotal: %d" % storage
                  if l.startswith("dirmailStorageTotal:")
                  else "dirmailDeleteThreshold: %d" % max(500, n // 10)
                  if l.startswith("dirmailDeleteThreshold:") else l for l in rec]
with open(out, "w", encoding="utf-8") as f:
    f.write("# generated by tests/bench/gen-tenant.py\n\n")
    for rec in base + users + lists:
        f.write("\n".join(rec) + "\n\n")
stats.update(users=n, lists=len(lists), entries=len(base) + n + len(lists),
             licences=licences, storage=storage, dev=len(dev))
with open(envf, "w") as f:
    for k, v in stats.items():
        f.write("tenant_%s=%d\n" % (k, v))
