// UTF-8 without TextEncoder/TextDecoder, which the QuickJS component does not have.

/** The UTF-8 bytes of a string (lone surrogates become U+FFFD). */
export function encodeUtf8(text) {
  const out = [];
  for (const ch of text) {
    let c = ch.codePointAt(0);
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** The string of UTF-8 bytes; a malformed sequence becomes U+FFFD. */
export function decodeUtf8(bytes) {
  let out = "";
  const n = bytes.length;
  for (let i = 0; i < n; ) {
    const b = bytes[i];
    let need = 0;
    let c = 0;
    let min = 0;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i += 1;
      continue;
    } else if (b >= 0xc2 && b < 0xe0) [need, c, min] = [1, b & 31, 0x80];
    else if (b >= 0xe0 && b < 0xf0) [need, c, min] = [2, b & 15, 0x800];
    else if (b >= 0xf0 && b < 0xf5) [need, c, min] = [3, b & 7, 0x10000];
    else {
      out += "\ufffd";
      i += 1;
      continue;
    }
    let j = 1;
    for (; j <= need && i + j < n && (bytes[i + j] & 0xc0) === 0x80; j++) c = (c << 6) | (bytes[i + j] & 63);
    if (j <= need || c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
      out += "\ufffd";
      i += Math.max(1, j);
      continue;
    }
    out += String.fromCodePoint(c);
    i += need + 1;
  }
  return out;
}

/** How many bytes a string takes in UTF-8. */
export function utf8Length(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}
