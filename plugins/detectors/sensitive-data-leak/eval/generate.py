#!/usr/bin/env python3
"""An independent evaluation set for `sensitive-data-leak`, from generators other than
the development set's (Presidio's): Faker and mimesis (both MIT), in eight locales and
eleven carriers, with hard negatives.

    python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
    .venv/bin/python generate.py > independent.json

The output has the shape `aiir eval` reads for PII sentences (a JSON array of
`{"full_text", "spans": [{"entity_type", "entity_value", "start_position",
"end_position"}]}`) plus `locale`, `carrier` and `generator` on each row, and `decoys`:
the hard negatives the row holds, which are not labelled. Seeds are fixed: the same
packages give the same file.

The two generators are kept apart for leave-one-generator-out: values come from one
library or the other, and every pool of wording (key names, labels, sentences, decoys)
is split between them, even entries to Faker and odd ones to mimesis, so that rules
developed on one generator's rows meet unseen wording on the other's.
"""

import argparse
import base64
import json
import random
import string

from faker import Faker
from mimesis import Address, Locale, Payment, Person
from mimesis.datasets import EMAIL_DOMAINS

import carriers
import vocab

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "en_IN", "ja_JP"]
MIMESIS_LOCALES = {
    "en_US": Locale.EN, "en_GB": Locale.EN_GB, "de_DE": Locale.DE, "fr_FR": Locale.FR,
    "es_ES": Locale.ES, "it_IT": Locale.IT, "en_IN": Locale.EN, "ja_JP": Locale.JA,
}
PEOPLES_DOMAINS = [d for d in EMAIL_DOMAINS if not d.startswith("@example.")]
IBAN_COUNTRY = {"en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "it_IT": "IT"}
# BBAN layouts (n: digits, a: upper letters, c: alphanumerics) of the IBAN registry.
BBAN = {"GB": "4a14n", "DE": "18n", "FR": "10n11c2n", "ES": "20n", "IT": "1a10n12c"}


def luhn_ok(digits):
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = int(d)
        total += (d * 2 - 9 if d > 4 else d * 2) if i % 2 else d
    return total % 10 == 0


def mod97(iban):
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97


def iban_ok(iban):
    lengths = {"GB": 22, "DE": 22, "FR": 27, "ES": 24, "IT": 27}
    return len(iban) == lengths.get(iban[:2], -1) and mod97(iban) == 1


class Source:
    """Values of one generator in one locale."""

    def __init__(self, generator, locale, seed):
        self.generator, self.locale = generator, locale
        self.half = 0 if generator == "faker" else 1
        self.rng = random.Random(f"{generator}/{locale}/{seed}")
        if generator == "faker":
            self.f = Faker(locale)
            self.f.seed_instance(seed)
        else:
            loc = MIMESIS_LOCALES[locale]
            self.person, self.address = Person(loc, seed=seed), Address(loc, seed=seed)
            self.payment = Payment(seed=seed)

    def pick(self, pool):
        """An entry of this generator's half of `pool`."""
        mine = pool[self.half :: 2] or pool
        return self.rng.choice(mine)

    def name(self):
        return self.f.name() if self.generator == "faker" else self.person.full_name()

    def email(self):
        if self.generator == "faker":
            return self.f.free_email() if self.rng.random() < 0.6 else self.f.company_email()
        # mimesis draws a share of its addresses from documentation domains (example.com,
        # example.org), which are hard negatives here, not people's mailboxes.
        return self.person.email(domains=PEOPLES_DOMAINS)

    def phone(self):
        if self.locale == "en_IN" and self.generator == "mimesis":
            # mimesis has no Indian locale: a mobile number in the forms Indians write.
            n = str(self.rng.randint(6, 9)) + "".join(self.rng.choice(string.digits) for _ in range(9))
            return self.rng.choice([f"+91 {n[:5]} {n[5:]}", f"0{n}", f"+91-{n}", f"{n[:5]} {n[5:]}"])
        raw = self.f.phone_number() if self.generator == "faker" else self.person.phone_number()
        return raw

    def street(self):
        """A street address in the locale's usual order, on one line."""
        if self.generator == "faker":
            if self.locale == "ja_JP":
                return self.f.address()
            full = self.f.address() if self.rng.random() < 0.5 else self.f.street_address()
            return ", ".join(p.strip() for p in full.split("\n") if p.strip())
        if self.locale == "en_IN":
            return vocab.indian_address(self.rng, Address(Locale.EN, seed=self.rng.random()).street_name())
        line = self.address.address()
        if self.rng.random() < 0.5:
            where = f"{self.address.postal_code()} {self.address.city()}"
            line = f"{where}{line}" if self.locale == "ja_JP" else f"{line}, {where}"
        return line

    def card(self):
        while True:
            raw = self.f.credit_card_number() if self.generator == "faker" else self.payment.credit_card_number()
            digits = raw.replace(" ", "").replace("-", "")
            if luhn_ok(digits):
                break
        if " " in raw or self.rng.random() < 0.5:
            return raw
        if len(digits) == 16:
            return " ".join(digits[i : i + 4] for i in range(0, 16, 4))
        return digits

    def iban(self):
        country = IBAN_COUNTRY.get(self.locale)
        if country is None:
            return None
        if self.generator == "faker":
            value = self.f.iban()
        else:
            value = self.own_iban(country)
        assert iban_ok(value), value
        if self.rng.random() < 0.4:
            return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return value

    def own_iban(self, country):
        bban = ""
        for count, kind in _layout(BBAN[country]):
            alphabet = {"n": string.digits, "a": string.ascii_uppercase, "c": string.ascii_uppercase + string.digits}[kind]
            bban += "".join(self.rng.choice(alphabet) for _ in range(count))
        check = 98 - mod97(country + "00" + bban)
        return f"{country}{check:02d}{bban}"

    def ssn(self):
        if self.locale != "en_US":
            return None
        if self.generator == "faker":
            value = self.f.ssn()
        else:
            area = self.rng.choice([a for a in range(1, 900) if a != 666])
            value = f"{area:03d}-{self.rng.randint(1, 99):02d}-{self.rng.randint(1, 9999):04d}"
        return value if self.rng.random() < 0.75 else value.replace("-", "")

    def token(self, n, alphabet=string.ascii_letters + string.digits):
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def b64(self, n):
        return base64.b64encode(bytes(self.rng.getrandbits(8) for _ in range(n))).decode()


def _layout(spec):
    out, num = [], ""
    for c in spec:
        if c.isdigit():
            num += c
        else:
            out.append((int(num), c))
            num = ""
    return out


def rows_for(generator, locale, count, seed):
    src = Source(generator, locale, seed)
    return [carriers.row(src) for _ in range(count)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=190, help="rows per generator and locale")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--generator", choices=["faker", "mimesis"], action="append")
    args = parser.parse_args()
    rows = []
    for generator in args.generator or ["faker", "mimesis"]:
        for locale in LOCALES:
            rows.extend(rows_for(generator, locale, args.rows, args.seed))
    print(json.dumps(rows, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
