"""Wording of the evaluation set: key names and labels per language, sentences, the
secrets and the hard negatives. Every pool is split between the two generators (even
entries Faker, odd ones mimesis): see `Source.pick`."""

import string

LANG = {"en_US": "en", "en_GB": "en", "en_IN": "en", "de_DE": "de", "fr_FR": "fr", "es_ES": "es", "it_IT": "it", "ja_JP": "ja"}

# Key names as they appear in CSV headers, JSON/YAML/XML keys and SQL columns.
KEYS = {
    "name": {"en": ["name", "full_name", "customer", "contact_name", "customer_name", "holder"],
             "de": ["name", "kunde", "vollstaendiger_name", "ansprechpartner"],
             "fr": ["nom", "client", "nom_complet", "titulaire"],
             "es": ["nombre", "cliente", "nombre_completo", "titular"],
             "it": ["nome", "cliente", "nominativo", "intestatario"],
             "ja": ["氏名", "名前", "顧客名", "お名前"]},
    "email": {"en": ["email", "e_mail", "mail", "email_address", "contact_email", "emailAddress", "user_email", "EmailAddress"],
              "de": ["email", "e_mail", "mail", "e_mail_adresse"],
              "fr": ["courriel", "email", "adresse_email", "mail"],
              "es": ["correo", "email", "correo_electronico", "e_mail"],
              "it": ["email", "posta", "indirizzo_email", "mail"],
              "ja": ["メール", "メールアドレス", "email", "Eメール"]},
    "phone": {"en": ["phone", "phone_number", "tel", "mobile", "telephone", "contact_number", "cell", "phoneNumber", "mobile_no", "msisdn"],
              "de": ["telefon", "telefonnummer", "handy", "tel", "mobilnummer", "rufnummer", "festnetz", "mobil"],
              "fr": ["telephone", "téléphone", "tel", "portable", "numero_tel", "mobile", "num_tel", "fixe"],
              "es": ["telefono", "teléfono", "movil", "móvil", "tel", "celular", "num_telefono", "fijo"],
              "it": ["telefono", "cellulare", "tel", "numero_telefono", "recapito", "cell", "telefono_fisso", "num_cell"],
              "ja": ["電話番号", "電話", "携帯", "TEL", "携帯電話", "連絡先電話", "電話番号1", "tel"]},
    "address": {"en": ["address", "street", "street_address", "addr", "billing_address", "shipping_address", "address_line1", "home_address"],
                "de": ["adresse", "anschrift", "strasse", "straße", "wohnadresse", "lieferadresse"],
                "fr": ["adresse", "rue", "adresse_postale", "domicile", "adresse_livraison", "adresse_facturation"],
                "es": ["direccion", "dirección", "domicilio", "calle", "direccion_envio", "direccion_postal"],
                "it": ["indirizzo", "via", "residenza", "indirizzo_spedizione", "domicilio", "indirizzo_fatturazione"],
                "ja": ["住所", "所在地", "address", "お届け先", "現住所", "送付先住所"]},
    "card": {"en": ["card_number", "cc_number", "card", "pan", "credit_card", "cardNumber", "cc", "payment_card"],
             "de": ["kartennummer", "kreditkarte", "karte", "kreditkartennummer"],
             "fr": ["numero_carte", "carte_bancaire", "carte", "cb"],
             "es": ["tarjeta", "numero_tarjeta", "tarjeta_credito", "num_tarjeta"],
             "it": ["carta", "numero_carta", "carta_di_credito", "carta_credito"],
             "ja": ["カード番号", "クレジットカード", "card_no", "カード"]},
    "iban": {"en": ["iban", "IBAN", "bank_account", "account_iban"],
             "de": ["iban", "bankverbindung", "kontonummer", "IBAN"],
             "fr": ["iban", "rib", "compte", "IBAN"],
             "es": ["iban", "cuenta", "cuenta_bancaria", "IBAN"],
             "it": ["iban", "conto", "coordinate_bancarie", "IBAN"],
             "ja": ["iban", "IBAN"]},
    "ssn": {"en": ["ssn", "social_security_number", "tax_id", "taxpayer_id", "ss_number", "tin", "SSN", "taxId"]},
}

# Labels in running text, per language.
LABELS = {
    "name": {"en": ["Name", "Customer"], "de": ["Name", "Kunde"], "fr": ["Nom", "Client"], "es": ["Nombre", "Cliente"], "it": ["Nome", "Cliente"], "ja": ["氏名", "お名前"]},
    "email": {"en": ["Email", "E-mail", "Mail", "Email address"], "de": ["E-Mail", "Mail"], "fr": ["Courriel", "E-mail"], "es": ["Correo", "Email"], "it": ["E-mail", "Posta"], "ja": ["メール", "Eメール"]},
    "phone": {"en": ["Phone", "Tel.", "Mobile", "Cell", "Telephone", "Ph."], "de": ["Telefon", "Tel.", "Handy", "Mobil"], "fr": ["Tél.", "Téléphone", "Portable", "Tél"], "es": ["Teléfono", "Tel.", "Móvil", "Tfno."], "it": ["Telefono", "Tel.", "Cellulare", "Cell."], "ja": ["電話", "TEL", "携帯", "電話番号"]},
    "address": {"en": ["Address", "Ship to", "Billing address", "Home"], "de": ["Adresse", "Anschrift", "Lieferadresse", "Wohnort"], "fr": ["Adresse", "Domicile", "Livraison"], "es": ["Dirección", "Domicilio", "Envío a"], "it": ["Indirizzo", "Residenza", "Spedire a"], "ja": ["住所", "お届け先"]},
    "card": {"en": ["Card", "Card number", "Credit card", "Visa"], "de": ["Karte", "Kreditkarte"], "fr": ["Carte", "Carte bancaire"], "es": ["Tarjeta", "Tarjeta de crédito"], "it": ["Carta", "Carta di credito"], "ja": ["カード番号", "クレジットカード"]},
    "iban": {"en": ["IBAN", "Bank account (IBAN)"], "de": ["IBAN", "Bankverbindung"], "fr": ["IBAN", "RIB"], "es": ["IBAN", "Cuenta"], "it": ["IBAN", "Conto"], "ja": ["IBAN", "口座"]},
    "ssn": {"en": ["SSN", "Social Security No.", "Tax ID", "SSN#", "Taxpayer ID"]},
}

# Sentences that carry a value without a label, per language.
SENTENCES = {
    "phone": {"en": ["You can reach {name} at {v}.", "Call {name} on {v} tomorrow.", "{name} left {v} as a callback number.", "Text {name} at {v} when the parcel arrives."],
              "de": ["Sie erreichen {name} unter {v}.", "Bitte rufen Sie {name} unter {v} zurück.", "{name} ist unter {v} erreichbar.", "Ruf {name} morgen unter {v} an."],
              "fr": ["Vous pouvez joindre {name} au {v}.", "Rappelez {name} au {v}.", "{name} est joignable au {v}.", "Appelez {name} au {v} demain."],
              "es": ["Puede llamar a {name} al {v}.", "Contacte a {name} en el {v}.", "{name} dejó el número {v}.", "Llama a {name} al {v} mañana."],
              "it": ["Puoi chiamare {name} al {v}.", "Richiamare {name} al numero {v}.", "{name} è raggiungibile al {v}.", "Contatta {name} al {v} domani."],
              "ja": ["{name}さんには{v}までご連絡ください。", "{name}様の連絡先は{v}です。", "{name}さんの電話は{v}です。", "折り返しは{v}（{name}）へ。"]},
    "address": {"en": ["{name} lives at {v}.", "Please ship the order to {v}.", "{name} moved to {v} last month.", "The invoice goes to {v}."],
                "de": ["{name} wohnt in der {v}.", "Bitte liefern Sie an {v}.", "{name} ist nach {v} umgezogen.", "Die Rechnung geht an {v}."],
                "fr": ["{name} habite au {v}.", "Merci de livrer au {v}.", "{name} a déménagé au {v}.", "La facture part au {v}."],
                "es": ["{name} vive en {v}.", "Envíe el pedido a {v}.", "{name} se mudó a {v}.", "La factura va a {v}."],
                "it": ["{name} abita in {v}.", "Spedire l'ordine a {v}.", "{name} si è trasferito in {v}.", "La fattura va a {v}."],
                "ja": ["{name}さんの住所は{v}です。", "荷物は{v}へお送りください。", "{name}様は{v}に転居しました。", "請求書の送付先は{v}です。"]},
    "email": {"en": ["Write to {name} at {v}.", "{name} uses {v} for everything."], "de": ["Schreiben Sie {name} an {v}.", "{name} nutzt {v}."],
              "fr": ["Écrivez à {name} à {v}.", "{name} utilise {v}."], "es": ["Escriba a {name} a {v}.", "{name} usa {v}."],
              "it": ["Scrivi a {name} a {v}.", "{name} usa {v}."], "ja": ["{name}さんのメールは{v}です。", "{v}（{name}）に送ってください。"]},
}

INTROS = {
    "en": ["Here are the details you asked for:", "Sure — this is what the record says:", "I found the customer:", "From the CRM export:"],
    "de": ["Hier sind die gewünschten Daten:", "Laut Kundenakte:", "Ich habe den Kunden gefunden:", "Aus dem CRM-Export:"],
    "fr": ["Voici les informations demandées :", "D'après la fiche client :", "J'ai trouvé le client :", "Extrait du CRM :"],
    "es": ["Aquí están los datos que pidió:", "Según la ficha del cliente:", "He encontrado al cliente:", "Del export del CRM:"],
    "it": ["Ecco i dati richiesti:", "Dalla scheda cliente:", "Ho trovato il cliente:", "Dall'export del CRM:"],
    "ja": ["ご依頼の情報です：", "顧客記録によると：", "該当の顧客が見つかりました：", "CRMのエクスポートより："],
}

SIGN_OFFS = {
    "en": ["Best regards,", "Kind regards,", "Thanks,", "Cheers,"], "de": ["Mit freundlichen Grüßen", "Viele Grüße", "Beste Grüße", "MfG"],
    "fr": ["Cordialement,", "Bien à vous,", "Bonne journée,", "Salutations,"], "es": ["Saludos,", "Atentamente,", "Un saludo,", "Gracias,"],
    "it": ["Cordiali saluti,", "Saluti,", "Distinti saluti,", "Grazie,"], "ja": ["よろしくお願いいたします。", "以上、よろしくお願いします。"],
}

# Secrets: (key names, how to make the value).
def secrets(src):
    hexd = string.hexdigits[:16]
    up = string.ascii_uppercase + string.digits
    aws_id = lambda: src.pick(["AKIA", "ASIA"]) + src.token(16, up)
    aws_secret = lambda: src.token(40, string.ascii_letters + string.digits + "/+")
    azure = lambda: src.b64(64)
    return {
        "aws_access_key": (["aws_access_key_id", "AccessKeyId", "accessKeyId", "AWS_ACCESS_KEY_ID"], aws_id),
        "aws_secret_key": (["aws_secret_access_key", "SecretAccessKey", "AWS_SECRET_ACCESS_KEY", "secretAccessKey", "secret_key", "SecretKey"], aws_secret),
        "github": (["github_token", "GH_TOKEN", "GITHUB_TOKEN", "token"], lambda: "ghp_" + src.token(36)),
        "slack": (["slack_token", "SLACK_BOT_TOKEN", "bot_token", "SLACK_TOKEN"], lambda: f"xoxb-{src.token(11, string.digits)}-{src.token(13, string.digits)}-{src.token(24)}"),
        "stripe": (["stripe_secret_key", "STRIPE_SECRET_KEY", "stripe_key", "STRIPE_API_KEY"], lambda: "sk_live_" + src.token(src.rng.randint(24, 99))),
        "openai": (["OPENAI_API_KEY", "openai_api_key", "api_key", "llm_key"], lambda: "sk-proj-" + src.token(64, string.ascii_letters + string.digits + "_-")),
        "azure": (["AZURE_STORAGE_KEY", "storageAccountKey", "azure_storage_key", "accountKey", "StorageKey", "primaryKey"], azure),
        "jdbc": (["jdbc_url", "JDBC_URL", "datasource_url", "db_url"], lambda: f"jdbc:{src.pick(['postgresql', 'mysql', 'sqlserver', 'mariadb'])}://db{src.rng.randint(1, 9)}.internal:5432/{src.pick(['orders', 'crm', 'billing', 'ledger'])}?user=app&password={src.token(14)}"),
        "postgres": (["DATABASE_URL", "database_url", "MONGO_URI", "db_uri"], lambda: f"{src.pick(['postgres', 'mongodb', 'mysql', 'redis'])}://{src.pick(['app', 'svc', 'admin', 'etl'])}:{src.token(16)}@db.{src.pick(['internal', 'prod.local', 'corp.net', 'cluster.local'])}:5432/main"),
        "gitlab": (["gitlab_token", "GITLAB_TOKEN", "CI_TOKEN", "private_token"], lambda: "glpat-" + src.token(20)),
        "gcp": (["google_api_key", "GOOGLE_API_KEY", "maps_key", "GCP_KEY"], lambda: "AIza" + src.token(35, string.ascii_letters + string.digits + "_-")),
        "jwt": (["authorization", "id_token", "access_token", "Authorization"], lambda: "eyJ" + src.token(30, string.ascii_letters + string.digits) + ".eyJ" + src.token(60) + "." + src.token(43, string.ascii_letters + string.digits + "_-")),
        "hexkey": (["private_key", "signing_key", "PRIVATE_KEY", "ssh_private_key"], lambda: "-----BEGIN RSA PRIVATE KEY-----\n" + src.b64(48) + "\n" + src.b64(48) + "\n-----END RSA PRIVATE KEY-----"),
    }


# Hard negatives: (key names, how to make the value). None is labelled.
def decoys(src):
    d = string.digits
    n = lambda k: src.token(k, d)
    first = src.pick(["jane", "john", "alex", "maria", "li", "sam", "anna", "omar"])
    return {
        "doc-email": (["email", "contact", "example_email", "mail"], lambda: f"{first}.{src.pick(['doe', 'smith', 'roe', 'muster'])}@{src.pick(['example.com', 'example.org', 'example.net', 'app.test', 'corp.example', 'mail.invalid', 'shop.localhost', 'test.example.com'])}"),
        "role-mailbox": (["support_email", "reply_to", "from", "sender"], lambda: f"{src.pick(['support', 'hr', 'admin', 'accounts-payable', 'team', 'office', 'info', 'kontakt', 'billing', 'it-helpdesk', 'noreply', 'devops', 'recruiting', 'sales-eu'])}@{src.pick(['northwind.com', 'acme-corp.de', 'globex.fr', 'initech.co.uk', 'umbrella.it', 'contoso.es'])}"),
        "service-account": (["service_account", "client_email", "run_as", "sa"], lambda: src.pick([f"{src.pick(['ci-deployer', 'etl-runner', 'backup'])}@{src.pick(['prod-4711', 'analytics-prj', 'shop-infra'])}.iam.gserviceaccount.com", f"{n(12)}-compute@developer.gserviceaccount.com", f"{src.pick(['svc-build', 'svc-report'])}@{src.pick(['contoso', 'fabrikam'])}.onmicrosoft.com", f"{n(12)}@cloudservices.gserviceaccount.com"])),
        "git-remote": (["repository", "remote", "origin", "repo"], lambda: src.pick([f"git@github.com:{src.pick(['acme', 'octo-org', 'initech'])}/{src.pick(['billing', 'web', 'infra'])}.git", f"git@gitlab.{src.pick(['com', 'example.org'])}:{src.pick(['team', 'platform'])}/{src.pick(['api', 'ops'])}.git", f"ssh://git@bitbucket.org/{src.pick(['acme', 'tools'])}/{src.pick(['etl', 'cli'])}.git"])),
        "sku-ssn": (["sku", "part_no", "item_code", "article", "model_no", "artikelnummer", "référence", "codice_articolo", "品番", "part_number"], lambda: f"{n(3)}-{n(2)}-{n(4)}"),
        "sku-phone": (["sku", "part_no", "item_code", "serial", "order_ref", "bestellnummer", "commande", "pedido", "ordine", "注文番号"], lambda: src.pick([f"{n(3)}-{n(3)}-{n(4)}", f"({n(3)}) {n(3)}-{n(4)}", f"{n(3)}.{n(3)}.{n(4)}", f"{n(4)} {n(3)} {n(3)}"])),
        "barcode": (["ean", "barcode", "upc", "gtin", "ean13", "code_barre"], lambda: ean(src)),
        "tracking": (["tracking", "tracking_number", "sendungsnummer", "numero_suivi", "seguimiento", "spedizione", "追跡番号", "awb"], lambda: src.pick([f"9400 {n(4)} {n(4)} {n(4)} {n(4)} {n(2)}", f"1Z{src.token(6, string.ascii_uppercase + d)}{n(10)}", f"{n(4)} {n(4)} {n(4)}", n(12), f"JJD{n(18)}", n(20)])),
        "aws-example": (["aws_access_key_id", "aws_secret_access_key", "AccessKeyId", "SecretAccessKey"], lambda: src.pick(["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AKIAI44QH8DHBEXAMPLE", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"])),
        "placeholder": (["api_key", "token", "stripe_secret_key", "github_token", "slack_token", "secret", "OPENAI_API_KEY", "password"], lambda: src.pick(["sk_live_" + "x" * 24, "ghp_" + "X" * 36, "xoxb-your-bot-token", "your-api-key", "<YOUR_API_KEY>", "sk-proj-" + "*" * 48, "AKIA" + "X" * 16, "glpat-xxxxxxxxxxxxxxxxxxxx", "YOUR_SECRET_HERE", "sk_live_" + "0" * 24, "ghp_" + "a" * 36, "${GITHUB_TOKEN}", "postgres://user:password@localhost:5432/db", "jdbc:mysql://localhost:3306/db?user=root&password=<password>", "sk_live_REPLACE_ME_WITH_YOUR_KEY", "AccountKey=<your-storage-key>"])),
        "publishable": (["stripe_publishable_key", "publishableKey", "public_key", "STRIPE_PK", "ssh_public_key", "pubkey"], lambda: src.pick(["pk_live_" + src.token(24), "pk_test_" + src.token(24), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA" + src.token(43) + " deploy@ci", "-----BEGIN PUBLIC KEY-----\n" + src.b64(48) + "\n-----END PUBLIC KEY-----", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" + src.token(60) + " ops@bastion"])),
    }


def ean(src):
    body = src.token(12, string.digits)
    odd = sum(int(c) for c in body[0::2]) + 3 * sum(int(c) for c in body[1::2])
    return body + str((10 - odd % 10) % 10)


INDIAN_PLACES = [("Pune", "411"), ("Mumbai", "400"), ("Bengaluru", "560"), ("Chennai", "600"), ("Kolkata", "700"), ("Hyderabad", "500"), ("Jaipur", "302"), ("Lucknow", "226")]


def indian_address(rng, street):
    city, pin = rng.choice(INDIAN_PLACES)
    pin = pin + "".join(rng.choice(string.digits) for _ in range(3))
    house = rng.choice([f"Flat {rng.randint(1, 20)}{rng.choice('ABCD')}", f"H.No. {rng.randint(1, 999)}", f"{rng.randint(1, 99)}/{rng.randint(1, 300)}", f"Plot {rng.randint(1, 400)}"])
    road = rng.choice(["Road", "Marg", "Lane", "Nagar", "Colony"])
    return f"{house}, {street} {road}, {city} {rng.choice(['', '- '])}{pin}"
