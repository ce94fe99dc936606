"""Rows of the evaluation set: the data of one or more records, written out in a
carrier (a chat answer, a ticket, JSON, CSV, SQL, XML, YAML, a log line, a mail
signature, a config file, code), with their labelled spans."""

import json

import vocab

CARRIERS = ["chat", "ticket", "json", "csv", "sql", "xml", "yaml", "log", "signature", "config", "code"]
TABULAR = {"json", "csv", "sql", "xml", "yaml"}
ENTITY = {"email": "EMAIL_ADDRESS", "phone": "PHONE_NUMBER", "address": "STREET_ADDRESS", "card": "CREDIT_CARD",
          "iban": "IBAN_CODE", "ssn": "US_SSN"}
SUBJECTS = {"en": ["Refund request", "Delivery problem", "Change of address"], "de": ["Rückerstattung", "Lieferproblem", "Adressänderung"],
            "fr": ["Demande de remboursement", "Problème de livraison", "Changement d'adresse"], "es": ["Solicitud de reembolso", "Problema de entrega", "Cambio de dirección"],
            "it": ["Richiesta di rimborso", "Problema di consegna", "Cambio indirizzo"], "ja": ["返金のご依頼", "配送の問題", "住所変更"]}


class Text:
    """A text under construction, with the spans of the labelled values in it."""

    def __init__(self):
        self.parts, self.spans, self.len = [], [], 0

    def add(self, s):
        self.parts.append(s)
        self.len += len(s)
        return self

    def value(self, field, shown=None):
        shown = field["value"] if shown is None else shown
        if field["label"]:
            self.spans.append({"entity_type": field["label"], "entity_value": shown,
                               "start_position": self.len, "end_position": self.len + len(shown)})
        return self.add(shown)

    def str(self):
        return "".join(self.parts)


def row(src):
    """One labelled row in a carrier chosen at random."""
    lang = vocab.LANG[src.locale]
    carrier = src.rng.choice(CARRIERS)
    n_records = src.rng.randint(1, 3) if carrier in TABULAR and src.rng.random() < 0.6 else 1
    semantics = choose(src)
    decoy_kinds = src.rng.sample(sorted(vocab.decoys(src)), k=src.rng.choice([0, 0, 1, 2]) if semantics else src.rng.randint(1, 2))
    keys = {s: key_for(src, lang, s) for s in ["name"] + semantics + decoy_kinds}
    order = ["name"] + semantics + decoy_kinds
    src.rng.shuffle(order)
    records = [fields(src, order, keys) for _ in range(n_records)]
    text = Text()
    RENDER[carrier](text, records, src, lang)
    return {"full_text": text.str(), "spans": text.spans, "locale": src.locale, "carrier": carrier,
            "generator": src.generator, "decoys": decoy_kinds}


def choose(src):
    """Which kinds of data a row holds: none in a fifth of them."""
    if src.rng.random() < 0.2:
        return []
    pii = ["email", "phone", "address", "card"] + (["iban"] if src.iban() else []) + (["ssn"] if src.ssn() else [])
    pii += ["phone", "address"] + (["ssn"] if "ssn" in pii else [])  # the weakest types, twice as often
    chosen = src.rng.sample(pii, k=src.rng.randint(1, 3))
    if src.rng.random() < 0.3:
        chosen.append("secret:" + src.rng.choice(sorted(vocab.secrets(src))))
    return list(dict.fromkeys(chosen))


def key_for(src, lang, semantic):
    if semantic.startswith("secret:"):
        return src.pick(vocab.secrets(src)[semantic[7:]][0])
    if semantic in vocab.KEYS:
        table = vocab.KEYS[semantic]
        pool = table.get(lang) or table["en"]
        if lang != "en" and src.rng.random() < 0.25:
            pool = table["en"]
        return src.pick(pool)
    return src.pick(vocab.decoys(src)[semantic][0])


def fields(src, order, keys):
    """One record: a value for each kind of data, in the row's column order."""
    out = []
    for s in order:
        if s == "name":
            value, label = src.name(), None
        elif s.startswith("secret:"):
            value, label = vocab.secrets(src)[s[7:]][1](), "SECRET"
        elif s in ENTITY:
            value, label = getattr(src, {"address": "street"}.get(s, s))(), ENTITY[s]
        else:
            value, label = vocab.decoys(src)[s][1](), None
        out.append({"sem": s, "key": keys[s], "value": value, "label": label})
    return out


def oneline(v):
    return v.replace("\n", "\\n")


def label(src, lang, field):
    if field["sem"] in vocab.LABELS:
        table = vocab.LABELS[field["sem"]]
        return src.pick(table.get(lang) or table["en"])
    return field["key"]


def chat(t, records, src, lang):
    rec = records[0]
    name = next(f["value"] for f in rec if f["sem"] == "name")
    t.add(src.pick(vocab.INTROS[lang]) + "\n")
    for f in rec:
        if f["sem"] == "name":
            continue
        templates = vocab.SENTENCES.get(f["sem"], {}).get(lang)
        if templates and src.rng.random() < 0.5:
            before, after = src.pick(templates).replace("{name}", name).split("{v}")
            t.add(before).value(f).add(after + "\n")
        elif f["sem"] in vocab.LABELS:
            t.add(f"- {label(src, lang, f)}: ").value(f).add("\n")
        else:
            t.add(f"- `{f['key']}`: ").value(f, oneline(f["value"])).add("\n")


def ticket(t, records, src, lang):
    t.add(f"Ticket #{src.rng.randint(10000, 99999)} — {src.pick(SUBJECTS[lang])}\n")
    for f in records[0]:
        t.add(f"{label(src, lang, f)}: ").value(f, oneline(f["value"])).add("\n")
    t.add("Status: open")


def js(t, records, src, lang):
    indent = src.rng.random() < 0.5
    sep, pad = (",\n", "  ") if indent else (", ", "")

    def obj(rec, lead):
        t.add("{" + ("\n" if indent else ""))
        for i, f in enumerate(rec):
            t.add(lead + pad + json.dumps(f["key"], ensure_ascii=False) + ": ")
            encoded = json.dumps(f["value"], ensure_ascii=False)
            t.add('"').value(f, encoded[1:-1]).add('"')
            t.add(sep if i + 1 < len(rec) else ("\n" + lead if indent else ""))
        t.add("}")

    if len(records) == 1:
        obj(records[0], "")
        return
    t.add('{"' + src.pick(["customers", "users", "records", "rows"]) + '": [')
    for i, rec in enumerate(records):
        obj(rec, pad)
        t.add(", " if i + 1 < len(records) else "")
    t.add("]}")


def csv(t, records, src, lang):
    sep = src.pick([",", ";", "\t", ",", "|", ","])
    t.add(sep.join(f["key"] for f in records[0]) + "\n")
    for rec in records:
        for i, f in enumerate(rec):
            value = oneline(f["value"])
            quoted = sep in value or '"' in value or src.rng.random() < 0.2
            t.add('"' if quoted else "").value(f, value.replace('"', '""')).add('"' if quoted else "")
            t.add(sep if i + 1 < len(rec) else "\n")


def sql(t, records, src, lang):
    table = src.pick(["customers", "users", "contacts", "kunden", "clients", "clientes", "clienti", "顧客"])
    t.add(f"INSERT INTO {table} ({', '.join(f['key'] for f in records[0])}) VALUES ")
    for r, rec in enumerate(records):
        t.add("(")
        for i, f in enumerate(rec):
            t.add("'").value(f, oneline(f["value"]).replace("'", "''")).add("'" + (", " if i + 1 < len(rec) else ""))
        t.add(")" + (", " if r + 1 < len(records) else ";"))


def xml(t, records, src, lang):
    t.add("<records>")
    for rec in records:
        t.add("\n  <record>")
        for f in rec:
            value = f["value"].replace("&", "&amp;").replace("<", "&lt;")
            t.add(f"\n    <{f['key']}>").value(f, value).add(f"</{f['key']}>")
        t.add("\n  </record>")
    t.add("\n</records>")


def yaml(t, records, src, lang):
    for rec in records:
        for i, f in enumerate(rec):
            lead = ("- " if i == 0 else "  ") if len(records) > 1 else ""
            if "\n" in f["value"]:
                t.add(f"{lead}{f['key']}: |\n")
                indent = "    " if len(records) > 1 else "  "
                t.value(f, "\n".join(indent + line for line in f["value"].split("\n"))).add("\n")
                continue
            quoted = any(c in f["value"] for c in ":#{}[]") or f["value"][:1] in "-*&!|>'\"%@`"
            q = '"' if quoted else ""
            t.add(f"{lead}{f['key']}: {q}").value(f).add(f"{q}\n")


def log(t, records, src, lang):
    ts = f"2026-0{src.rng.randint(1, 9)}-1{src.rng.randint(0, 9)}T0{src.rng.randint(0, 9)}:{src.rng.randint(10, 59)}:{src.rng.randint(10, 59)}Z"
    t.add(f"{ts} {src.pick(['INFO', 'DEBUG', 'WARN'])} [{src.pick(['crm-sync', 'checkout', 'auth', 'billing'])}] {src.pick(['profile updated', 'request', 'payload', 'user saved'])}")
    for f in records[0]:
        value = oneline(f["value"])
        q = '"' if " " in value or src.rng.random() < 0.3 else ""
        t.add(f" {f['key']}={q}").value(f, value).add(q)


def signature(t, records, src, lang):
    t.add(src.pick(["Thanks for the quick reply, I will send the documents today.", "Danke, die Unterlagen folgen.",
                    "Merci pour votre retour.", "Gracias por la respuesta.", "Grazie per la risposta.", "ご確認ありがとうございます。"]))
    t.add("\n\n" + src.pick(vocab.SIGN_OFFS[lang]) + "\n")
    for f in records[0]:
        if f["sem"] in ("phone", "address", "email", "name") and src.rng.random() < 0.5:
            t.value(f).add("\n")
        else:
            t.add(f"{label(src, lang, f)}: ").value(f, oneline(f["value"])).add("\n")


def config(t, records, src, lang):
    env = src.rng.random() < 0.5
    if not env:
        t.add(f"[{src.pick(['default', 'production', 'contact', 'service'])}]\n")
    for f in records[0]:
        key = f["key"].upper() if env and f["key"].isascii() else f["key"]
        value = oneline(f["value"])
        q = '"' if " " in value or "\\n" in value else ""
        t.add(f"{key}={q}" if env else f"{key} = {q}").value(f, value).add(q + "\n")


def code(t, records, src, lang):
    style = src.rng.choice(["py", "js", "java"])
    opener = {"py": "record = {", "js": "const record = {", "java": "Map<String, String> record = Map.of("}[style]
    t.add(opener + "\n")
    rec = records[0]
    for i, f in enumerate(rec):
        key = json.dumps(f["key"], ensure_ascii=False)
        encoded = json.dumps(f["value"], ensure_ascii=False)
        t.add(f"    {key}{', ' if style == 'java' else ': '}\"").value(f, encoded[1:-1]).add('"' + ("," if i + 1 < len(rec) else "") + "\n")
    t.add({"py": "}\n", "js": "};\n", "java": ");\n"}[style])


RENDER = {"chat": chat, "ticket": ticket, "json": js, "csv": csv, "sql": sql, "xml": xml, "yaml": yaml, "log": log,
          "signature": signature, "config": config, "code": code}
